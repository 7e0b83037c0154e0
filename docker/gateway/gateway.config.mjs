// Hive Gateway configuration for govgraph: serve the composed supergraph, by default with the Rust query
// planner (@graphql-hive/router-runtime); GOVGRAPH_GATEWAY_PLANNER=js selects Hive's JavaScript planner.
// The supergraph path comes from GOVGRAPH_SUPERGRAPH (written by compose.mjs before the gateway starts).
import { defineConfig } from '@graphql-hive/gateway';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';

const planner = process.env.GOVGRAPH_GATEWAY_PLANNER ?? 'rust';
if (planner !== 'rust' && planner !== 'js') {
  throw new Error(`GOVGRAPH_GATEWAY_PLANNER must be "rust" or "js", not ${JSON.stringify(planner)}`);
}

export const gatewayConfig = defineConfig({
  supergraph: process.env.GOVGRAPH_SUPERGRAPH ?? './supergraph.graphql',
  ...(planner === 'rust' ? { unifiedGraphHandler } : {}),
  // Subgraph errors keep their extensions.code on the way out; unexpected gateway errors stay masked.
  maskedErrors: true,
  logging: process.env.GOVGRAPH_GATEWAY_LOG ?? 'warn',
});
