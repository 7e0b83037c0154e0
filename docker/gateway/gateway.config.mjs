// Hive Gateway configuration for govgraph: serve the composed supergraph, by default with the Rust query
// planner (@graphql-hive/router-runtime); GOVGRAPH_GATEWAY_PLANNER=js selects Hive's JavaScript planner.
// The supergraph path comes from GOVGRAPH_SUPERGRAPH (written by compose.mjs before the gateway starts).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { defineConfig } from '@graphql-hive/gateway';
import { openTelemetrySetup } from '@graphql-hive/gateway/opentelemetry/setup';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { GraphQLError } from 'graphql';

const planner = process.env.GOVGRAPH_GATEWAY_PLANNER ?? 'rust';
if (planner !== 'rust' && planner !== 'js') {
  throw new Error(`GOVGRAPH_GATEWAY_PLANNER must be "rust" or "js", not ${JSON.stringify(planner)}`);
}

// Subgraphs run with GOVGRAPH_ENV=production answer `_service` and `_entities` only to requests carrying their
// shared secret: given the same GOVGRAPH_SUBGRAPH_SECRET, the gateway sends it on every subgraph request (the
// value is read from the environment when each request is made, never written into this file).
const subgraphSecret = process.env.GOVGRAPH_SUBGRAPH_SECRET
  ? { headers: [['govgraph-subgraph-secret', '{env.GOVGRAPH_SUBGRAPH_SECRET}']] }
  : {};

// Subscriptions: queries and mutations go to subgraphs over HTTP, subscriptions over graphql-transport-ws at the
// subgraph's own URL (ws://.../graphql, which every govgraph subgraph serves), as the embedded gateway does.
const transportEntries = {
  '*': { ...subgraphSecret, options: { subscriptions: { kind: 'ws' } } },
};

// The caller's credentials (a bearer token, an API key) go on to every subgraph, which checks them itself: a
// subgraph never relies on the gateway having done so. Absent headers are not sent. Hive's in-flight
// deduplication keys on the propagated headers, so one caller's answer is never shared with another caller.
const propagateHeaders = {
  fromClientToSubgraphs: ({ request }) => ({
    authorization: request.headers.get('authorization'),
    'x-api-key': request.headers.get('x-api-key'),
  }),
};

// Trusted documents, as the embedded gateway takes them (docs/frontend.md): GOVGRAPH_TRUSTED_DOCUMENTS names a
// manifest in Apollo's format ({format: 'apollo-persisted-query-manifest', version: 1, operations: [{id, body}]})
// or GraphQL Code Generator's ({"<sha256 hex>": "<document>"}); every id must be its body's SHA-256, or the gateway
// does not start. Requests name one by `documentId` (a `sha256:` prefix is accepted) or by the APQ hash
// (extensions.persistedQuery.sha256Hash). GOVGRAPH_TRUSTED_DOCUMENTS_ONLY=1 (or true/on) refuses any other
// document with PERSISTED_QUERY_ONLY; Hive refuses every document sent in full then, even one in the manifest.
function loadTrustedDocuments(path) {
  const manifest = JSON.parse(readFileSync(path, 'utf8'));
  const pairs =
    manifest?.format === 'apollo-persisted-query-manifest'
      ? (manifest.version === 1 && Array.isArray(manifest.operations) ? manifest.operations : []).map((op) => [op?.id, op?.body])
      : Object.entries(manifest ?? {});
  const documents = new Map();
  for (const [id, body] of pairs) {
    if (typeof id !== 'string' || typeof body !== 'string' || createHash('sha256').update(body).digest('hex') !== id) {
      throw new Error(`${path}: ${JSON.stringify(id)} is not the SHA-256 of its document`);
    }
    documents.set(id, body);
  }
  if (documents.size === 0) throw new Error(`${path}: no documents`);
  return documents;
}

const trustedOnly = ['1', 'true', 'on'].includes((process.env.GOVGRAPH_TRUSTED_DOCUMENTS_ONLY ?? '').trim().toLowerCase());
if (trustedOnly && !process.env.GOVGRAPH_TRUSTED_DOCUMENTS) {
  throw new Error('GOVGRAPH_TRUSTED_DOCUMENTS_ONLY needs GOVGRAPH_TRUSTED_DOCUMENTS');
}
const trustedDocuments = process.env.GOVGRAPH_TRUSTED_DOCUMENTS ? loadTrustedDocuments(process.env.GOVGRAPH_TRUSTED_DOCUMENTS) : null;
const persistedDocuments = trustedDocuments
  ? {
      persistedDocuments: {
        getPersistedOperation: (key) => trustedDocuments.get(key.replace(/^sha256:/, '')) ?? null,
        allowArbitraryDocuments: !trustedOnly,
        customErrors: {
          notFound: {
            message: 'No trusted document has this documentId.',
            extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST', http: { status: 404 } },
          },
          persistedQueryOnly: {
            message: 'Only trusted documents may run here: send a documentId.',
            extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 403 } },
          },
          keyNotFound: {
            message: 'Send a documentId or a query.',
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          },
        },
      },
    }
  : {};

// Apollo's automatic persisted queries (APQ), as on the embedded gateway (govgraph/federation/gateway/persisted.py)
// and with its codes, messages and statuses, when no trusted-documents manifest is configured (with one, the hashes
// are the manifest's, above). A hash alone runs the document registered under it, or answers 200
// PersistedQueryNotFound (PERSISTED_QUERY_NOT_FOUND), which tells an Apollo client to send the document with its
// hash; that registers it, once its SHA-256 is checked. At most APQ_CACHE_SIZE documents are kept (least recently
// used first out); the cache is per process. Our own small plugin: the Yoga APQ package in the registry here wants
// an older @graphql-tools/utils than Hive Gateway 2 uses.
const APQ_CACHE_SIZE = 10_000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

function refuse(message, code, status) {
  return new GraphQLError(message, { extensions: { code, ...(status === 200 ? {} : { http: { status } }) } });
}

function automaticPersistedQueries() {
  const cache = new Map();
  return {
    onParams({ params, setParams }) {
      const persisted = params.extensions?.persistedQuery;
      if (persisted === undefined || params.documentId !== undefined) return;
      if (persisted?.version !== 1) throw refuse('Unsupported persisted query version: expected 1.', 'BAD_REQUEST', 400);
      const hash = persisted.sha256Hash;
      if (typeof hash !== 'string' || !SHA256_HEX.test(hash)) {
        throw refuse('sha256Hash must be a lower-case SHA-256 hex digest.', 'BAD_REQUEST', 400);
      }
      if (params.query === undefined || params.query === null) {
        const query = cache.get(hash);
        if (query === undefined) throw refuse('PersistedQueryNotFound', 'PERSISTED_QUERY_NOT_FOUND', 200);
        cache.delete(hash);
        cache.set(hash, query); // most recently used last
        setParams({ ...params, query });
        return;
      }
      if (typeof params.query !== 'string' || params.query === '') {
        throw refuse('query must be a non-empty string.', 'BAD_REQUEST', 400);
      }
      if (createHash('sha256').update(params.query).digest('hex') !== hash) {
        throw refuse("The query's SHA-256 is not sha256Hash.", 'PERSISTED_QUERY_HASH_MISMATCH', 400);
      }
      cache.delete(hash);
      cache.set(hash, params.query);
      if (cache.size > APQ_CACHE_SIZE) cache.delete(cache.keys().next().value);
    },
  };
}
const apq = trustedDocuments ? {} : { plugins: () => [automaticPersistedQueries()] };

// CORS as on the embedded gateway (govgraph/federation/cors.py): only the origins GOVGRAPH_CORS_ORIGINS lists
// (comma-separated, exact), none by default; Hive's own default would answer every origin.
const corsOrigins = (process.env.GOVGRAPH_CORS_ORIGINS ?? '').split(',').map((origin) => origin.trim()).filter(Boolean);
const cors = corsOrigins.length
  ? {
      origin: corsOrigins,
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: [
        'accept', 'content-type', 'authorization', 'x-api-key', 'x-request-id', 'traceparent', 'tracestate',
        'apollographql-client-name', 'apollographql-client-version', 'apollo-require-preflight',
        'graphql-client-name', 'graphql-client-version',
      ],
      exposedHeaders: ['x-request-id', 'retry-after'],
      credentials: ['1', 'true', 'on'].includes((process.env.GOVGRAPH_CORS_CREDENTIALS ?? '').trim().toLowerCase()),
      maxAge: Number(process.env.GOVGRAPH_CORS_MAX_AGE ?? 600),
    }
  : false;
if (cors && cors.credentials && corsOrigins.includes('*')) {
  throw new Error('GOVGRAPH_CORS_CREDENTIALS cannot be true while GOVGRAPH_CORS_ORIGINS is *');
}

// OpenTelemetry as in govgraph (govgraph/federation/telemetry.py): off unless GOVGRAPH_OTEL_ENDPOINT (else the
// standard OTEL_EXPORTER_OTLP_ENDPOINT) names an OTLP/HTTP collector; spans go to <endpoint>/v1/traces as
// protobuf, batched for at most 200 ms, as service OTEL_SERVICE_NAME (default govgraph-hive-gateway). Hive's
// plugin continues the caller's W3C traceparent and sends its own with every subgraph request, so a govgraph
// subgraph's server span is the child of Hive's fetch span. The packages are Hive Gateway's own dependencies
// (in package-lock.json), not added ones.
// A blank GOVGRAPH_OTEL_ENDPOINT (as compose passes it when the host has none) is unset.
const otelEndpoint = (process.env.GOVGRAPH_OTEL_ENDPOINT?.trim() || process.env.OTEL_EXPORTER_OTLP_ENDPOINT || '').trim();
if (otelEndpoint) {
  if (!/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(otelEndpoint)) {
    throw new Error(`GOVGRAPH_OTEL_ENDPOINT must be an http(s) URL, not ${JSON.stringify(otelEndpoint)}`);
  }
  openTelemetrySetup({
    contextManager: new AsyncLocalStorageContextManager(),
    resource: { serviceName: (process.env.OTEL_SERVICE_NAME ?? '').trim() || 'govgraph-hive-gateway' },
    traces: {
      exporter: new OTLPTraceExporter({ url: `${otelEndpoint.replace(/\/+$/, '')}/v1/traces` }),
      batching: { scheduledDelayMillis: 200 },
    },
  });
}
const openTelemetry = otelEndpoint ? { openTelemetry: { traces: true } } : {};

// Rate limits: Hive Gateway's `rateLimiting` option (@envelop/rate-limiter, installed) counts per root field
// and per an identifier taken from the request, and answers a GraphQL error with HTTP 200, not 429 with
// Retry-After; govgraph's GOVGRAPH_RATE_LIMITS is therefore not mapped onto it. Limit in front of Hive (the
// load balancer) or see docs/frontend.md for a rule teams can add here.

export const gatewayConfig = defineConfig({
  supergraph: process.env.GOVGRAPH_SUPERGRAPH ?? './supergraph.graphql',
  ...(planner === 'rust' ? { unifiedGraphHandler } : {}),
  transportEntries,
  propagateHeaders,
  ...persistedDocuments,
  ...apq,
  cors,
  ...openTelemetry,
  // Subgraph errors keep their extensions.code on the way out; unexpected gateway errors stay masked.
  maskedErrors: true,
  logging: process.env.GOVGRAPH_GATEWAY_LOG ?? 'warn',
});
