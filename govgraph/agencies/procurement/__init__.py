"""The procurement office: OCDS releases on its ledger, imports, records, sealed bids and red flags."""
