"""The role grammar: which role strings exist, how they are checked, and what a held role satisfies.

Roles: `clerk:<agency>`, `official:<agency>`, `trustee`, `auditor`, `service:<name>`, `admin`.

A role satisfies only itself: `admin` is not a wildcard. Separation of duties is the point of roles here:
every ledger entry records the role its actor acted in, and a threshold tally is only as strong as the
independence of its trustees, so no single role may stand in for a clerk, an official or a trustee. `admin`
is for operating the service; an administrator who also keeps a register holds that clerk role as well."""

from __future__ import annotations

import re
from collections.abc import Iterable

from govgraph.federation.errors import BadUserInput

ADMIN = "admin"
TRUSTEE = "trustee"
AUDITOR = "auditor"
PLAIN_ROLES = (ADMIN, TRUSTEE, AUDITOR)
# kind -> the pattern its scope (the part after the colon) must match
SCOPED_ROLES = {
    "clerk": re.compile(r"[a-z][a-z0-9-]{0,62}"),  # an agency name, e.g. land
    "official": re.compile(r"[a-z][a-z0-9-]{0,62}"),
    "service": re.compile(r"[a-z0-9][a-z0-9._-]{0,62}"),  # a machine client, e.g. tally-bot
}
MAX_ROLES = 64


class InvalidRole(BadUserInput):
    """A string that is not a role of the grammar (the message quotes it safely)."""


def is_role(text: object) -> bool:
    if not isinstance(text, str):
        return False
    if text in PLAIN_ROLES:
        return True
    kind, colon, scope = text.partition(":")
    pattern = SCOPED_ROLES.get(kind)
    return bool(colon) and pattern is not None and pattern.fullmatch(scope) is not None


def check_role(text: str) -> str:
    """`text` if it is a role; InvalidRole otherwise."""
    if not is_role(text):
        shown = repr(text[:80]) if isinstance(text, str) else type(text).__name__
        raise InvalidRole(
            f"{shown} is not a role: expected admin, trustee, auditor, clerk:<agency>, official:<agency> "
            "or service:<name> (lower case)"
        )
    return text


def check_roles(roles: Iterable[str]) -> frozenset[str]:
    """The roles as a set, each checked; InvalidRole names the first that is not one."""
    checked = frozenset(check_role(role) for role in roles)
    if len(checked) > MAX_ROLES:
        raise InvalidRole(f"at most {MAX_ROLES} roles, not {len(checked)}")
    return checked


def satisfies(held: Iterable[str], required: str) -> bool:
    """Whether roles `held` include `required`. Exact match only: no role implies another (see above)."""
    return required in frozenset(held)


def clerk(agency: str) -> str:
    return check_role(f"clerk:{agency}")


def official(agency: str) -> str:
    return check_role(f"official:{agency}")


def service(name: str) -> str:
    return check_role(f"service:{name}")
