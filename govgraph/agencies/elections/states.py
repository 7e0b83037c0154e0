"""An election's life as a state machine (pure): DRAFT -> KEY_CEREMONY -> OPEN -> CLOSED -> TALLYING ->
PUBLISHED, and the CONFLICT that names why a step is refused from the state the election is in."""

from __future__ import annotations

from govgraph.federation.errors import Conflict

DRAFT = "DRAFT"
KEY_CEREMONY = "KEY_CEREMONY"
OPEN = "OPEN"
CLOSED = "CLOSED"
TALLYING = "TALLYING"
PUBLISHED = "PUBLISHED"
STATES = (DRAFT, KEY_CEREMONY, OPEN, CLOSED, TALLYING, PUBLISHED)
NEXT = {DRAFT: KEY_CEREMONY, KEY_CEREMONY: OPEN, OPEN: CLOSED, CLOSED: TALLYING, TALLYING: PUBLISHED}

SINGLE = "SINGLE"  # a pseudonym's second ballot is refused
LAST_COUNTS = "LAST_COUNTS"  # a pseudonym's later ballot replaces its earlier one
# The manifest's revoting rule (zk.ballot.REVOTING_RULES) for each policy: what the record verifier applies.
REVOTING_RULE = {SINGLE: "none", LAST_COUNTS: "last-wins"}
POLICY_OF_RULE = {rule: policy for policy, rule in REVOTING_RULE.items()}


def require_state(election: str, state: str, *allowed: str, action: str) -> None:
    """CONFLICT unless the election is in one of the `allowed` states, saying which it is in."""
    if state not in allowed:
        wanted = " or ".join(allowed)
        raise Conflict(f"Election {election} is {state}: {action} needs it {wanted}.")


def transition(election: str, state: str, target: str) -> str:
    """The target state, if it follows `state` (CONFLICT naming both otherwise)."""
    if NEXT.get(state) != target:
        raise Conflict(f"Election {election} is {state}: it cannot move to {target}.")
    return target
