"""`govgraph serve`, `govgraph subgraph NAME`, `govgraph gateway`: the three servers, run by one function."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from govgraph.cli.settings import load_settings
from govgraph.config import Settings

PARAMETER_LOGGERS = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool")


def run_server(asgi_app, settings: Settings, port: int) -> None:
    """Run `asgi_app` under uvicorn on settings.host:port until interrupted, with govgraph's log format and
    the slow-client guards (head and body deadlines, connection cap: govgraph.server)."""
    from govgraph.federation.request_id import RequestIdLogFilter
    from govgraph.server import Server, server_config

    logging.basicConfig(
        level=logging.DEBUG if settings.log_level == "trace" else settings.log_level.upper(),
        format="%(levelname)s:     %(name)s: %(message)s%(request)s",
    )
    for handler in logging.getLogger().handlers:  # every line says which request it belongs to, if any
        handler.addFilter(RequestIdLogFilter())
    # The database layers log each statement with its parameters (aiosqlite at DEBUG, SQLAlchemy's engine at
    # INFO once its logger is that verbose): citizens' registry data would reach the log. They log warnings
    # and errors only, whatever the service's level.
    for name in PARAMETER_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
    config = server_config(asgi_app, settings, port)
    Server(config).run(
        sockets=[shared_socket(settings.host, port, config.backlog)] if settings.reuse_port else None
    )


def shared_socket(host: str, port: int, backlog: int):
    """A listening socket with SO_REUSEPORT (GOVGRAPH_REUSE_PORT): every process bound to host:port this way
    gets a share of the new connections, spread by the kernel. It is made as the TCP socket it is
    (IPPROTO_TCP, not protocol 0): asyncio turns Nagle's algorithm off (TCP_NODELAY) only on connections whose
    socket says so, and with it on, a response written in two parts (head, then body) waited for the client's
    delayed acknowledgement, about 40 ms a request. TCP_NODELAY is also set on the listener, whose accepted
    connections inherit it."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def built(build):
    """`build()`, or the end of the command with one line when the embedded issuer's key is unusable."""
    from govgraph.auth.issuer import IssuerKeyError
    from govgraph.federation.gateway.persisted import ManifestError

    try:
        return build()
    except (IssuerKeyError, ManifestError) as exc:
        typer.echo(f"govgraph: {exc}", err=True)
        raise typer.Exit(code=1) from None


def checked_schema(settings: Settings) -> None:
    """Stop with one line, naming the command to run, when the database's revision is behind (a database
    never migrated is brought to the latest revision: govgraph.migrations.prepare)."""
    import asyncio

    from govgraph import migrations

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        asyncio.run(migrations.prepare(settings.database_url))
    except migrations.SchemaError as exc:
        typer.echo(f"govgraph: {exc}", err=True)
        raise typer.Exit(code=1) from None


def serve() -> None:
    """Serve the whole service (gateway, subgraphs, health, metrics) as configured by GOVGRAPH_* variables."""
    from govgraph.app import build_app

    settings = load_settings()
    checked_schema(settings)
    run_server(built(lambda: build_app(settings)), settings, settings.port)


def subgraph(
    agency: Annotated[str, typer.Argument(help="Agency name, e.g. identity or land.")],
    port: Annotated[
        int | None, typer.Option("--port", help="Listen port (default: the agency's own, e.g. land 4102).")
    ] = None,
) -> None:
    """Serve one agency's subgraph alone at /graphql.

    For Hive Gateway, Apollo Router or the embedded gateway."""
    from govgraph.agencies.registry import find_agency
    from govgraph.app import standalone_agency_app

    settings = load_settings()
    try:
        chosen = find_agency(agency)
    except KeyError as exc:
        typer.echo(f"govgraph: {exc.args[0]}", err=True)
        raise typer.Exit(code=2) from None
    checked_schema(settings)
    run_server(built(lambda: standalone_agency_app(chosen, settings)), settings, port or chosen.default_port)


def gateway(
    subgraphs: Annotated[
        list[str], typer.Option("--subgraph", help="name=URL of a subgraph endpoint; repeat.")
    ],
    port: Annotated[int, typer.Option("--port", help="Listen port.")] = 4000,
    deduplicate: Annotated[
        bool | None,
        typer.Option(
            "--deduplicate/--no-deduplicate",
            help="Share identical query fetches in flight (default: GOVGRAPH_GATEWAY_DEDUPLICATE, on).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the embedded gateway at /graphql over remote subgraphs (composed at start-up)."""
    import asyncio

    from govgraph.federation.gateway import CompositionError
    from govgraph.federation.gateway.endpoint import check_composition, gateway_app

    settings = load_settings()
    services: dict[str, str] = {}
    for item in subgraphs:
        name, _, url = item.partition("=")
        if not name or not url.startswith(("http://", "https://")) or name in services:
            typer.echo(f"govgraph: --subgraph expects a unique name=http(s)://URL, got {item!r}", err=True)
            raise typer.Exit(code=2)
        services[name] = url
    try:  # refuse to start, with the reason, when the subgraphs cannot be composed
        asyncio.run(check_composition(services, subgraph_secret=settings.subgraph_secret))
    except CompositionError as exc:
        typer.echo(f"govgraph: {exc}", err=True)
        raise typer.Exit(code=1) from None
    if deduplicate is None:
        deduplicate = settings.gateway_deduplicate
    from govgraph.app import cors_middleware_for, persisted_documents, stream_limits
    from govgraph.federation.client_address import ClientAddresses
    from govgraph.federation.telemetry import configure_tracing

    if settings.otel_endpoint is not None:
        configure_tracing(settings.otel_endpoint, settings.otel_service_name)
    ignored = [who for who, _count, _period in settings.rate_limits if who.startswith("role:")]
    if ignored:  # accepted (the same settings serve `govgraph serve`), but said once
        typer.echo(
            f"govgraph: GOVGRAPH_RATE_LIMITS rules {', '.join(ignored)} have no effect on `govgraph gateway`,"
            " which authenticates nobody (docs/frontend.md)",
            err=True,
        )
    app = built(
        lambda: gateway_app(
            services,
            production=settings.production,
            deduplicate=deduplicate,
            subgraph_secret=settings.subgraph_secret,
            persisted=persisted_documents(settings),
            middleware=[cors_middleware_for(settings)],
            stream_limits=stream_limits(settings),
            rate_limits=settings.rate_limits,
            client_addresses=ClientAddresses(settings.trusted_proxies),
        )
    )
    run_server(app, settings, port)
