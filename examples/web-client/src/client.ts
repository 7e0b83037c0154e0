// A typed GraphQL-over-HTTP client for govgraph's /graphql: results and variables are typed by the generated
// documents. With `trusted`, only the document's SHA-256 travels (`documentId`), as the gateway requires when
// GOVGRAPH_TRUSTED_DOCUMENTS_ONLY is set; otherwise the document is sent in full.
import type { TypedDocumentString } from "./gql/graphql.js";

export interface ClientOptions {
  /** The gateway's GraphQL endpoint, e.g. https://govgraph.example/graphql. */
  endpoint: string;
  /** Send document ids only (production with trusted documents). */
  trusted: boolean;
  /** A bearer token (from the identity provider) or nothing for public queries. */
  token?: string;
}

export interface GraphQLErrorItem {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string } & Record<string, unknown>;
}

/** The operation failed: the GraphQL errors, each with its stable `extensions.code`. */
export class GraphQLRequestError extends Error {
  constructor(
    readonly status: number,
    readonly errors: ReadonlyArray<GraphQLErrorItem>,
  ) {
    super(errors.map((e) => `${e.extensions?.code ?? "ERROR"}: ${e.message}`).join("; ") || `HTTP ${status}`);
  }
}

export async function execute<TResult, TVariables>(
  options: ClientOptions,
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  const hash = document.__meta__?.["hash"];
  if (options.trusted && typeof hash !== "string") {
    throw new Error("this document has no persisted hash: regenerate with `npm run codegen`");
  }
  const body = options.trusted ? { documentId: hash, variables } : { query: document.toString(), variables };
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/graphql-response+json, application/json",
  };
  if (options.token !== undefined) {
    headers["authorization"] = `Bearer ${options.token}`;
  }
  const response = await fetch(options.endpoint, { method: "POST", headers, body: JSON.stringify(body) });
  const payload = (await response.json()) as { data?: TResult | null; errors?: GraphQLErrorItem[] };
  if (payload.errors?.length || payload.data == null) {
    throw new GraphQLRequestError(response.status, payload.errors ?? []);
  }
  return payload.data;
}
