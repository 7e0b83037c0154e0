// GraphQL Code Generator's client preset: typed documents for the operations in src/, and the trusted-documents
// manifest (persisted-documents.json, SHA-256 ids) the gateway loads with GOVGRAPH_TRUSTED_DOCUMENTS.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  // The composed schema of every agency, as committed by `govgraph schema export`. GOVGRAPH_SCHEMA points at
  // another copy (the repository's tests generate against modified schemas that way).
  schema: process.env.GOVGRAPH_SCHEMA ?? "../../schema/supergraph.graphql",
  documents: ["src/**/*.ts", "!src/gql/**"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { hashAlgorithm: "sha256", mode: "embedHashInDocument" },
      },
      config: {
        documentMode: "string",
        // Imports with their .js extension: the compiled app runs as ES modules in Node and browsers.
        emitLegacyCommonJSImports: false,
        enumsAsTypes: true,
        onlyOperationTypes: true,
        strictScalars: true,
        useTypeImports: true,
        // How the gateway serialises each custom scalar (docs/federation.md).
        scalars: {
          Base64: "string",
          Date: "string",
          DateTime: "string",
          JSON: "unknown",
          UInt64: "string",
          // The supergraph's federation machinery: no field clients can select has these types.
          join__FieldSet: "never",
          link__Import: "never",
        },
      },
    },
  },
};

export default config;
