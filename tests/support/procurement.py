"""Every procurement mutation, once, through a running server's /graphql: an official publishes a release
and imports a package, a committee of two forms a tender key, a company bids, and after the deadline both
members post their shares (the bids open). For scans that must see every mutation of the composed schema."""

from __future__ import annotations

import json
import time

from govgraph.auth.issuer import EmbeddedIssuer
from govgraph.config import Settings
from tests.conftest import STANDARDS_DIR
from tests.govgraph.agencies.procurement.committee import BID, form_committee, rfc3339, sealed_bid
from tests.govgraph.agencies.procurement.office import Office
from tests.support.servers import LiveServer

PUBLISH = "mutation ($r: JSON!) { publishRelease(release: $r) { releaseId } }"
IMPORT = "mutation ($p: JSON!) { importOcdsPackage(package: $p) { id } }"
SAMPLE = STANDARDS_DIR / "procurement" / "ocds-sample-data" / "fictional-example-1.1"


def run_every_procurement_mutation(
    server: LiveServer, settings: Settings, tender: str = "scan-1"
) -> set[str]:
    """Run each procurement mutation once (successfully); returns their names."""
    issuer = EmbeddedIssuer.load_or_create(
        settings.auth_issuer_key_path, issuer=settings.token_issuer, audience=settings.token_audience
    )
    office = Office(server, settings, issuer)
    package = json.loads((SAMPLE / "ocds-213czf-000-00001-02-tender.json").read_text())
    release = {**package["releases"][0], "ocid": f"ocds-{tender}", "id": f"ocds-{tender}-1"}
    assert "errors" not in office.post(PUBLISH, {"r": release}, office.official)
    assert "errors" not in office.post(IMPORT, {"p": package}, office.official)
    deadline = time.time() + 3
    committee = form_committee(office, f"ocds-{tender}", tender, rfc3339(deadline), n=2, t=2)
    bid = sealed_bid(committee, "service:scanner", {"amount": 10, "currency": "EUR"})
    assert "errors" not in office.post(
        BID, {"t": tender, "b": bid}, office.token("scanner", "service:scanner")
    )
    time.sleep(max(0.0, deadline - time.time()) + 0.05)
    assert committee.post_shares(1) == {"data": {"postBidShares": {"opened": False}}}
    assert committee.post_shares(2) == {"data": {"postBidShares": {"opened": True}}}
    return {
        "publishRelease",
        "importOcdsPackage",
        "openSealedTender",
        "commitToTenderKey",
        "revealTenderKeyShares",
        "checkTenderKeyShares",
        "submitSealedBid",
        "postBidShares",
    }
