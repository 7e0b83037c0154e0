// Hive Gateway configuration for govgraph: serve the composed supergraph with the Rust query planner.
// The supergraph path comes from GOVGRAPH_SUPERGRAPH (written by compose.mjs before the gateway starts).
import { defineConfig } from '@graphql-hive/gateway';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';

export const gatewayConfig = defineConfig({
  supergraph: process.env.GOVGRAPH_SUPERGRAPH ?? './supergraph.graphql',
  unifiedGraphHandler,
  // Subgraph errors keep their extensions.code on the way out; unexpected gateway errors stay masked.
  maskedErrors: true,
  logging: process.env.GOVGRAPH_GATEWAY_LOG ?? 'warn',
});
