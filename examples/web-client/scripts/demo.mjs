// Runs the compiled app (npm run build) against a govgraph gateway and prints what each operation gave, as JSON:
//   node scripts/demo.mjs http://127.0.0.1:8000/graphql [--trusted]
// GOVGRAPH_TOKEN (a bearer token with the clerk:courts role) adds a notarization of a small text file.
import { checkpointSummary, electionBoard, notarizeFile, parcelSummary } from "../dist/main.js";

const [endpoint, ...flags] = process.argv.slice(2);
if (!endpoint) {
  console.error("usage: node scripts/demo.mjs GRAPHQL_URL [--trusted]");
  process.exit(2);
}
const options = { endpoint, trusted: flags.includes("--trusted") };
const result = {
  checkpoint: await checkpointSummary(options, "land"),
  parcel: await parcelSummary(options, "parcel-0001"),
  election: await electionBoard(options, "northfield-2027-municipal"),
};
if (process.env.GOVGRAPH_TOKEN) {
  const file = new File(["minutes of the hearing of 7 March\n"], "minutes.txt", { type: "text/plain" });
  result.notarized = await notarizeFile({ ...options, token: process.env.GOVGRAPH_TOKEN }, file, "case-42");
}
console.log(JSON.stringify(result, null, 2));
