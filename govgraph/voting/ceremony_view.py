"""The key ceremony's public messages as zk objects, read from the board's `trustees` (for trustees and
auditors alike)."""

from __future__ import annotations

from zk.trustees import Ceremony, CoefficientReveal, ComplaintAnswer, SealedShare


def public_reveals(ceremony: Ceremony, board: dict) -> dict[int, CoefficientReveal]:
    return {
        t["index"]: CoefficientReveal.from_json(ceremony, t["reveal"])
        for t in board["trustees"]
        if t["reveal"]
    }


def public_messages(
    ceremony: Ceremony, board: dict
) -> tuple[dict[int, CoefficientReveal], dict[int, str], list[SealedShare]]:
    hashes = {t["index"]: t["commitmentHash"] for t in board["trustees"] if t["commitmentHash"]}
    sealed = [
        SealedShare(s["dealer"], s["recipient"], bytes.fromhex(s["sealed"]))
        for t in board["trustees"]
        for s in t["sealedShares"] or []
    ]
    return public_reveals(ceremony, board), hashes, sealed


def public_answers(ceremony: Ceremony, board: dict) -> list[ComplaintAnswer]:
    return [ComplaintAnswer.from_json(ceremony, a) for t in board["trustees"] for a in t["answers"] or []]
