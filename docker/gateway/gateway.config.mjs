// Hive Gateway configuration for govgraph: serve the composed supergraph, by default with the Rust query
// planner (@graphql-hive/router-runtime); GOVGRAPH_GATEWAY_PLANNER=js selects Hive's JavaScript planner.
// The supergraph path comes from GOVGRAPH_SUPERGRAPH (written by compose.mjs before the gateway starts).
import { defineConfig } from '@graphql-hive/gateway';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';

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

export const gatewayConfig = defineConfig({
  supergraph: process.env.GOVGRAPH_SUPERGRAPH ?? './supergraph.graphql',
  ...(planner === 'rust' ? { unifiedGraphHandler } : {}),
  transportEntries,
  propagateHeaders,
  // Subgraph errors keep their extensions.code on the way out; unexpected gateway errors stay masked.
  maskedErrors: true,
  logging: process.env.GOVGRAPH_GATEWAY_LOG ?? 'warn',
});
