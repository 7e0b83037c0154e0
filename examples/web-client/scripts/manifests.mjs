// Writes the two trusted-documents manifests to manifests/ from the client preset's output: the preset's own
// persisted-documents.json ({"<sha256 hex>": "<document>"}), copied as it is, and Apollo's
// apollo-persisted-query-manifest (version 1) with the same documents under the same ids, each with its
// operation's name and type. The gateway loads either (GOVGRAPH_TRUSTED_DOCUMENTS).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { parse } from "graphql";

const generated = new URL("../src/gql/persisted-documents.json", import.meta.url);
const directory = new URL("../manifests/", import.meta.url);
const documents = JSON.parse(readFileSync(generated, "utf8"));

const operations = Object.entries(documents).map(([id, body]) => {
  if (createHash("sha256").update(body).digest("hex") !== id) {
    throw new Error(`persisted-documents.json: ${id} is not the SHA-256 of its document`);
  }
  const definitions = parse(body).definitions.filter((d) => d.kind === "OperationDefinition");
  if (definitions.length !== 1 || !definitions[0].name) {
    throw new Error(`persisted-documents.json: ${id} must hold exactly one named operation`);
  }
  return { id, name: definitions[0].name.value, type: definitions[0].operation, body };
});
operations.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));

mkdirSync(directory, { recursive: true });
const sorted = Object.fromEntries(operations.map((o) => [o.id, o.body]));
writeFileSync(new URL("persisted-documents.json", directory), JSON.stringify(sorted, null, 2) + "\n");
const apollo = { format: "apollo-persisted-query-manifest", version: 1, operations };
writeFileSync(new URL("persisted-query-manifest.json", directory), JSON.stringify(apollo, null, 2) + "\n");
console.log(`wrote ${operations.length} operations to manifests/`);
