"""The citizen's credential wallet: the wallet file and its operations (`store`), and the OpenID4VCI and
OpenID4VP client that receives credentials from an issuer and answers verifiers over HTTP (`issuance`,
`presentation`). The cryptography is `zk.credential`."""

from govgraph.wallet.store import (
    CredentialSummary,
    Plan,
    Wallet,
    WalletError,
    credential_id,
    default_path,
    held_credential_from_json,
    held_credential_to_json,
    list_credentials,
    load,
    pending_request_from_json,
    pending_request_to_json,
    plan,
    present,
    request,
    save,
    store,
)

__all__ = [
    "CredentialSummary",
    "Plan",
    "Wallet",
    "WalletError",
    "credential_id",
    "default_path",
    "held_credential_from_json",
    "held_credential_to_json",
    "list_credentials",
    "load",
    "pending_request_from_json",
    "pending_request_to_json",
    "plan",
    "present",
    "request",
    "save",
    "store",
]
