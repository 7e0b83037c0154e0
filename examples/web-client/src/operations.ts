// The operations this app sends: each one a trusted document (its SHA-256 is its id in the manifests).
import { graphql } from "./gql/index.js";

export const LedgerCheckpoint = graphql(`
  query LedgerCheckpoint($name: String!) {
    ledger(name: $name) {
      name
      origin
      verifierKey
      size
      checkpoint {
        size
        rootHash
        signedAt
        text
        cosignatures {
          witness
          keyId
          timestamp
        }
      }
    }
  }
`);

export const ParcelLookup = graphql(`
  query ParcelLookup($id: ID!) {
    parcel(id: $id) {
      id
      area
      locality
      spatialUnit {
        calculatedArea
        geometry
      }
      titles {
        id
        registeredOn
        current
        share
        owner {
          id
        }
      }
      restrictions {
        id
        kind
        holder
        active
        startsOn
        endsOn
      }
      ledgerEntry {
        ledger
        index
        receipt
      }
    }
  }
`);

export const ElectionBoard = graphql(`
  query ElectionBoard($id: ID!, $first: Int!, $after: Int) {
    election(id: $id) {
      id
      state
      turnout
      result
      trustees {
        index
        name
        joined
      }
      ballots(first: $first, after: $after) {
        trackingCode
        ledgerIndex
        spoiled
        counted
      }
    }
  }
`);

export const Notarize = graphql(`
  mutation Notarize($sha256: Base64!, $mediaType: String, $caseRef: String, $idempotencyKey: String) {
    notarize(sha256: $sha256, mediaType: $mediaType, caseRef: $caseRef, idempotencyKey: $idempotencyKey) {
      notarization {
        index
        sha256
        notarizedAt
      }
      checkpointSize
      timestampedAt
      receipt
    }
  }
`);
