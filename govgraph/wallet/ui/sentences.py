"""The wallet page's failures as sentences: what went wrong (the text of a wallet, zk or API error, made
printable) and what to do next."""

from __future__ import annotations

from govgraph.voting.api import ApiError
from zk.json_input import printable

ADVICE = {
    "NOT_FOUND": "Check the identifier you entered.",
    "CONFLICT": "It was done before (for example, this credential is already registered on the roll); check "
    "what your wallet holds before trying again.",
    "INVALID_PROOF": "The service could not verify it; start again from the beginning.",
    "BAD_USER_INPUT": "Correct what you entered and send it again.",
    "UNREACHABLE": "Check that the service is running and its address is right, then try again.",
}


def explain(exc: Exception) -> str:
    """A failure as a sentence for the page (the text of a wallet, zk or API error, made printable)."""
    if isinstance(exc, ApiError):
        return f"The service refused: {exc}. {ADVICE.get(exc.code, 'Check what you entered and try again.')}"
    if isinstance(exc, OSError):
        return f"The wallet file could not be used: {printable(str(exc))}. Check its folder and permissions."
    lines = [printable(line.strip()) for line in str(exc).split("\n") if line.strip()]
    if not lines:
        return "Something went wrong without an explanation: try again, or restart the wallet."
    text = lines[0] + (f" ({'; '.join(lines[1:])})" if lines[1:] else "")
    if text.startswith("no credential"):
        text += (
            ". Your wallet will not send a proof it knows to be false; if you should hold such a credential, "
            "receive it from its issuer first, then open the request again."
        )
    return text


def receive_advice(message: str) -> str:
    if "invalid_grant" in message or "PIN" in message:
        return " Check the six-digit PIN the clerk gave you and try again (five wrong PINs lock the offer)."
    if "HTTP 404" in message:
        return (
            " The offer has been used, has expired (offers last 10 minutes) or was withdrawn: ask the clerk "
            "for a new one."
        )
    if "cannot reach" in message:
        return " Check your connection and that the address in the offer is right, then try again."
    return ""


__all__ = ["ADVICE", "explain", "receive_advice"]
