// A small front-end: a ledger's checkpoint, a parcel, an election's public board, and notarizing a file (its
// SHA-256 is computed in the browser; the file itself never leaves it). Every value below is typed by the
// schema: a schema change that breaks one of these uses fails `tsc --noEmit`.
import { execute, type ClientOptions } from "./client.js";
import { ElectionBoard, LedgerCheckpoint, Notarize, ParcelLookup } from "./operations.js";
import type { ElectionBoardQuery, ParcelLookupQuery } from "./gql/graphql.js";

type Election = NonNullable<ElectionBoardQuery["election"]>;
type Restriction = NonNullable<ParcelLookupQuery["parcel"]>["restrictions"][number];

export async function checkpointSummary(options: ClientOptions, ledger: string): Promise<string> {
  const { ledger: log } = await execute(options, LedgerCheckpoint, { name: ledger });
  if (log === null || log === undefined) {
    return `no ledger named ${ledger}`;
  }
  const witnesses = log.checkpoint.cosignatures.map((c) => c.witness).join(", ");
  // UInt64 travels as a decimal string: BigInt keeps every digit.
  const size = BigInt(log.checkpoint.size);
  return `${log.origin}: ${size} entries, root ${log.checkpoint.rootHash}, cosigned by ${witnesses || "nobody yet"}`;
}

export async function parcelSummary(options: ClientOptions, id: string): Promise<string[]> {
  const { parcel } = await execute(options, ParcelLookup, { id });
  if (!parcel) {
    return [`parcel ${id} is not registered`];
  }
  const holders = parcel.titles.filter((t) => t.current).map((t) => `${t.owner.id} (${t.share})`);
  return [
    `${parcel.id}, ${parcel.locality}: ${parcel.area.toFixed(1)} m²`,
    `held by ${holders.join(", ")}`,
    ...parcel.restrictions.filter((r) => r.active).map(describeRestriction),
    parcel.ledgerEntry ? `registered at ${parcel.ledgerEntry.ledger}#${parcel.ledgerEntry.index}` : "registration pending",
  ];
}

function describeRestriction(restriction: Restriction): string {
  switch (restriction.kind) {
    case "MORTGAGE":
      return `mortgage held by ${restriction.holder} since ${restriction.startsOn}`;
    case "CAUTION":
      return `caution lodged by ${restriction.holder}`;
    case "LEASE":
      return `lease to ${restriction.holder} until ${restriction.endsOn ?? "further notice"}`;
  }
}

export function turnoutLabel(turnout: number, trustees: Election["trustees"]): string {
  const joined = trustees.filter((t) => t.joined).length;
  return `${turnout.toLocaleString("en")} ballots counted; ${joined}/${trustees.length} trustees joined`;
}

export async function electionBoard(options: ClientOptions, id: string): Promise<string[]> {
  const { election } = await execute(options, ElectionBoard, { id, first: 50 });
  if (!election) {
    return [`no election ${id}`];
  }
  const lines = [`${election.id} (${election.state}): ${turnoutLabel(election.turnout, election.trustees)}`];
  for (const ballot of election.ballots) {
    lines.push(`${ballot.ledgerIndex}\t${ballot.trackingCode}\t${ballot.spoiled ? "spoiled" : "cast"}`);
  }
  if (election.state === "PUBLISHED") {
    lines.push(`result: ${JSON.stringify(election.result)}`);
  }
  return lines;
}

export async function notarizeFile(options: ClientOptions, file: File, caseRef?: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await file.arrayBuffer()));
  const sha256 = btoa(String.fromCharCode(...digest));
  const { notarize } = await execute(options, Notarize, {
    sha256,
    mediaType: file.type || null,
    caseRef: caseRef ?? null,
    // One key per file: a retried request returns the first answer instead of notarizing twice.
    idempotencyKey: `notarize-${sha256}`,
  });
  return `entry ${notarize.notarization.index} at ${notarize.notarization.notarizedAt}, checkpoint ${notarize.checkpointSize}`;
}
