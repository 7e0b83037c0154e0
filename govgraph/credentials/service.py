"""The credential layer as the app runs it: the issuer and the verifier over one database and one data
directory, their tables, their routes, and how resolvers find them (`RequestContext.services`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.routing import Route

from govgraph.credentials import models
from govgraph.credentials.configurations import CredentialConfiguration, standard_configurations
from govgraph.credentials.issuer import Issuer, Registry
from govgraph.credentials.issuer_http import issuer_routes
from govgraph.credentials.keys import IssuerKeys
from govgraph.credentials.offers import OfferBook
from govgraph.credentials.published import PublishedIssuer, PublishedRevocation
from govgraph.credentials.revocation import RevocationRegistry
from govgraph.credentials.verification import VerificationPool
from govgraph.credentials.verifier import Verifier
from govgraph.credentials.verifier_http import verifier_routes
from govgraph.federation.errors import ErrorCode, ServiceError
from zk.curve import Backend


class CredentialsUnavailable(ServiceError):
    """The process serves no credential issuer or verifier (e.g. a subgraph served alone)."""

    code = ErrorCode.BAD_REQUEST


@dataclass
class CredentialServices:
    issuer: Issuer | None  # None in a verifier trusting another process's issuer (start_verifier)
    verifier: Verifier
    pool: VerificationPool
    revocation: RevocationRegistry | None = None
    published: PublishedIssuer | None = None  # what that verifier trusts, refreshed in the background

    def close(self) -> None:
        self.pool.close()


async def create_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(models.metadata.create_all)


async def start_credentials(
    engine: AsyncEngine,
    *,
    base_url: str,
    data_dir: Path,
    registry: Registry,
    backend: Backend | None = None,
    backend_name: str = "arkworks",
    verify_workers: int = 2,
    configurations: Mapping[str, CredentialConfiguration] | None = None,
    revocation_grace: float = 86_400,
) -> CredentialServices:
    """The issuer (keys under <data>/credentials, created 0600 on first start) and the verifier trusting the
    issuer's keys and, for revocable configurations, its accumulator epochs within `revocation_grace`
    seconds, with their tables created."""
    await create_tables(engine)
    configurations = standard_configurations() if configurations is None else configurations
    directory = data_dir / "credentials"
    revocation = RevocationRegistry(
        engine, directory / "keys", configurations, grace=revocation_grace, backend=backend
    )
    issuer = Issuer(
        base_url,
        configurations,
        IssuerKeys(directory / "keys"),
        OfferBook(engine),
        directory / "access-token.jwk",
        registry,
        backend=backend,
        revocation=revocation,
    )
    pool = VerificationPool(verify_workers, backend_name)
    verifier = Verifier(
        base_url,
        configurations,
        lambda cid: issuer.key_sets[cid].public_keys(),
        engine,
        pool,
        revocation=revocation,
    )
    return CredentialServices(issuer, verifier, pool, revocation)


async def start_verifier(
    engine: AsyncEngine,
    *,
    base_url: str,
    issuer_url: str,
    backend_name: str = "arkworks",
    verify_workers: int = 2,
    configurations: Mapping[str, CredentialConfiguration] | None = None,
    revocation_grace: float = 86_400,
) -> CredentialServices:
    """The verifier alone, in a process without the issuer: it trusts the keys and revocation epochs the
    issuer at `issuer_url` publishes (govgraph.credentials.published: fetched in the background until they
    come, then refreshed); its presentation requests and answers are at `base_url`. Stop with
    `services.published.stop()`, then `close()`."""
    await create_tables(engine)
    configurations = standard_configurations() if configurations is None else configurations
    published = PublishedIssuer(issuer_url, configurations)
    published.start()
    revocation = PublishedRevocation(engine, published, grace=revocation_grace)
    pool = VerificationPool(verify_workers, backend_name)
    verifier = Verifier(base_url, configurations, published.keys, engine, pool, revocation=revocation)
    return CredentialServices(None, verifier, pool, revocation, published)


def _services(request: Request) -> CredentialServices | None:
    services = getattr(request.app.state, "services", None)
    return services if isinstance(services, CredentialServices) else None


def credential_routes(*, issuer: bool = True) -> list[Route]:
    """The issuer's (unless `issuer` is false: a verifier alone) and the verifier's endpoints, finding the
    services in the app's state."""
    issuing = issuer_routes(lambda request: getattr(_services(request), "issuer", None)) if issuer else []
    return [*issuing, *verifier_routes(lambda request: getattr(_services(request), "verifier", None))]


def services_from(context: Any) -> CredentialServices:
    """The credential services a resolver's context carries; CredentialsUnavailable if none."""
    services = getattr(context, "services", None)
    if not isinstance(services, CredentialServices):
        raise CredentialsUnavailable("credential issuance and verification are served by govgraph serve")
    return services
