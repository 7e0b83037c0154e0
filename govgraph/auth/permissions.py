"""Strawberry permission classes over `info.context.principal`: an anonymous caller gets UNAUTHENTICATED, an
authenticated one without the role FORBIDDEN. They raise the typed errors themselves (the kit's classify
gives the code), so the message says which role was needed."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from govgraph.auth.roles import SCOPED_ROLES, check_role
from govgraph.federation.errors import Forbidden, Unauthenticated
from govgraph.federation.principal import Principal


class Authenticated(BasePermission):
    """Any authenticated caller, whatever their roles (`permission_classes=[Authenticated]`)."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        _principal(info)
        return True


class RequireRole(BasePermission):
    """A caller holding at least one of `roles` (exactly: no role implies another, see
    govgraph.auth.roles). Takes arguments, so it goes in a field's extensions: use `requires_role`."""

    def __init__(self, *roles: str) -> None:
        if not roles:
            raise ValueError("RequireRole needs at least one role")
        self.roles = tuple(check_role(role) for role in roles)

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = _principal(info)
        if principal.roles.isdisjoint(self.roles):
            needed = " or ".join(self.roles)
            raise Forbidden(f"this operation requires the role {needed}")
        return True


def requires_role(*roles: str) -> PermissionExtension:
    """The field extension for `@strawberry.mutation(extensions=[requires_role("clerk:land")])`. No schema
    directive is added: the subgraph SDL (the composed contract) stays as it is."""
    return PermissionExtension([RequireRole(*roles)], use_directives=False)


def _principal(info: Info) -> Principal:
    principal = getattr(info.context, "principal", None)
    # Fail closed: a context that carries no principal is an anonymous caller.
    if not isinstance(principal, Principal) or not principal.authenticated:
        raise Unauthenticated("authentication required: send a bearer token or an API key")
    return principal


class RequireRoleKind(BasePermission):
    """A caller holding a role of one of `kinds` for any scope (`clerk` matches clerk:land, clerk:identity,
    ...): for operations any agency or service may call. Use `requires_role_kind`."""

    def __init__(self, *kinds: str) -> None:
        if not kinds or any(kind not in SCOPED_ROLES for kind in kinds):
            raise ValueError(f"RequireRoleKind takes role kinds among {', '.join(SCOPED_ROLES)}")
        self.kinds = kinds

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = _principal(info)
        if not any(role.partition(":")[0] in self.kinds for role in principal.roles if ":" in role):
            needed = " or ".join(f"{kind}:*" for kind in self.kinds)
            raise Forbidden(f"this operation requires the role {needed}")
        return True


def requires_role_kind(*kinds: str) -> PermissionExtension:
    """The field extension for `requires_role_kind("clerk", "official", "service")`."""
    return PermissionExtension([RequireRoleKind(*kinds)], use_directives=False)
