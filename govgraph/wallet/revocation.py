"""`govgraph wallet refresh`: bring every revocable credential's accumulator witness to the issuer's latest
epoch, offline from the public update data (the issuer learns only that someone fetched epochs since E).

The issuer's metadata names its updates endpoint and accumulator key; each credential fetches the epochs after
its own and applies them (`zk.credential.revocation`). A credential that was revoked cannot be updated: the
wallet then records the latest epoch it is no member of, so its presentations fail at the verifier with
`revoked` (the truth) instead of passing as an older epoch, and says so.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from govgraph.wallet.store import WalletError, credential_id, exclusive, load, save
from govgraph.wallet.transport import Http, check_url
from zk import credential as zkc
from zk.accumulator import Accumulator, Revoked, UpdateData, Witness, verify_witness
from zk.curve import Backend
from zk.errors import ZkError
from zk.json_input import printable
from zk.wire import from_b64url

METADATA_PATH = "/.well-known/openid-credential-issuer"
MAX_PAGES = 1000


@dataclass(frozen=True)
class Refreshed:
    credential: str
    before: int
    after: int
    revoked_in: int | None = None

    def line(self) -> str:
        if self.revoked_in is not None:
            return f"{self.credential}: revoked by the issuer in epoch {self.revoked_in}"
        if self.before == self.after:
            return f"{self.credential}: up to date (epoch {self.after})"
        return f"{self.credential}: epoch {self.before} -> {self.after}"


def _endpoint(metadata: Any, configuration: str, public_key: bytes) -> str:
    try:
        entry = metadata["credential_configurations_supported"][configuration]["revocation"]
        key = from_b64url(entry["accumulator_public_key"], "accumulator_public_key")
        url = entry["updates_endpoint"]
    except (KeyError, TypeError, ZkError):
        raise WalletError(
            f"the issuer publishes no revocation epochs for {printable(configuration)}"
        ) from None
    if key != public_key:
        raise WalletError(
            f"the issuer's accumulator key for {printable(configuration)} is not the credential's"
        )
    return check_url(url, "the updates endpoint")


def _updates(http: Http, endpoint: str, configuration: str, since: int) -> list[UpdateData]:
    """Every update after epoch `since`, page by page."""
    out: list[UpdateData] = []
    for _ in range(MAX_PAGES):
        query = urlencode({"configuration": configuration, "since": since + len(out)})
        page = http.get_json(f"{endpoint}?{query}", "the issuer")
        if not isinstance(page, dict) or not isinstance(page.get("updates"), list):
            raise WalletError("the issuer's updates answer is not an object with a list of updates")
        try:
            updates = [UpdateData.from_json(item) for item in page["updates"]]
        except ZkError as exc:
            raise WalletError(f"the issuer sent update data that is not well formed: {exc}") from None
        out += updates
        latest = page.get("latest")
        if type(latest) is not int or not updates or since + len(out) >= latest:
            return out
    raise WalletError("the issuer's updates never reach its latest epoch")


def refresh(path: Any, issuer: str, http: Http, *, backend: Backend | None = None) -> list[Refreshed]:
    """Refresh every revocable credential of the wallet against `issuer` (its credential_issuer URL)."""
    base = check_url(issuer, "the issuer").rstrip("/")
    metadata = http.get_json(base + METADATA_PATH, "the issuer")
    out = []
    with exclusive(path):
        wallet = load(path)
        for i, held in enumerate(wallet.credentials):
            revocation = held.credential.revocation
            if revocation is None:
                continue
            configuration = held.credential.schema.name
            endpoint = _endpoint(metadata, configuration, revocation.public_key)
            before = revocation.witness.epoch
            updates = _updates(http, endpoint, configuration, before)
            revoked_in = None
            try:
                new = revocation.refreshed(updates, backend=backend)
            except Revoked:
                revoked_in = next(u.epoch for u in updates if u.removes(revocation.handle))
                last = updates[-1]
                new = dataclasses.replace(
                    revocation, witness=Witness(last.epoch, last.accumulator, revocation.witness.witness)
                )
            except ZkError as exc:
                raise WalletError(f"the issuer's update data does not apply: {exc}") from None
            credential = dataclasses.replace(held.credential, revocation=new)
            wallet.credentials[i] = dataclasses.replace(held, credential=credential)
            out.append(Refreshed(credential_id(held), before, new.witness.epoch, revoked_in))
        save(path, wallet)
    return out


def revoked(held: zkc.HeldCredential) -> bool:
    """Whether a refreshed credential's witness is no longer a member (the issuer revoked it)."""
    revocation = held.credential.revocation
    if revocation is None:
        return False
    witness = revocation.witness
    return not verify_witness(
        revocation.public_key,
        Accumulator(witness.epoch, witness.accumulator),
        revocation.handle,
        witness.witness,
    )


__all__ = ["Refreshed", "refresh", "revoked"]
