"""The databases the storage tests run on: a SQLite file, and a real PostgreSQL server when
GOVGRAPH_TEST_DATABASE_URL names one (`.ci/run` starts a throwaway cluster; locally
`eval "$(scripts/pg-test-cluster start /tmp/govgraph-pg)"`).

Without that variable the PostgreSQL cases skip, saying why; under CI=true they fail instead. Every test gets
its own database, copied from a template that is migrated once per session (CREATE DATABASE ... TEMPLATE
takes milliseconds), so tests never see each other's rows."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

URL_VARIABLE = "GOVGRAPH_TEST_DATABASE_URL"
BACKENDS = ("sqlite", "postgresql")
TEMPLATE = "govgraph_test_template"


def _in_thread(coroutine) -> object:
    """Run `coroutine` to completion on a loop of its own (callers may be inside pytest-asyncio's loop)."""
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # re-raised in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result.get("value")


@dataclass
class PostgresServer:
    """The configured server: URLs of fresh databases on it, and their removal."""

    url: str  # GOVGRAPH_TEST_DATABASE_URL: a database the tests' role may CREATE DATABASE from

    def database_url(self, name: str) -> str:
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def _admin_dsn(self) -> str:
        return make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)

    def execute(self, *statements: str) -> None:
        """Run statements outside a transaction (as CREATE/DROP DATABASE need) on the configured database."""

        async def run() -> None:
            import asyncpg

            connection = await asyncpg.connect(self._admin_dsn())
            try:
                for statement in statements:
                    await connection.execute(statement)
            finally:
                await connection.close()

        _in_thread(run())

    def prepare_template(self) -> None:
        """A template database at the latest migration, made once per session."""
        from govgraph import migrations

        self.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)", f"CREATE DATABASE {TEMPLATE}")
        _in_thread(migrations.upgrade(self.database_url(TEMPLATE)))

    def create_database(self, *, migrated: bool = True) -> str:
        """A new database (a copy of the migrated template, or empty); returns its URL."""
        name = f"govgraph_test_{uuid.uuid4().hex[:16]}"
        self.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {TEMPLATE}" if migrated else ""))
        return self.database_url(name)

    def drop_database(self, url: str) -> None:
        self.execute(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)")


def configured_server() -> PostgresServer:
    """The server of GOVGRAPH_TEST_DATABASE_URL, or a skip with the reason (a failure under CI=true)."""
    url = os.environ.get(URL_VARIABLE, "").strip()
    if not url:
        reason = f"no PostgreSQL server configured: set {URL_VARIABLE} (see scripts/pg-test-cluster)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires PostgreSQL: {reason}")
        pytest.skip(reason)
    if not url.startswith("postgresql+asyncpg://"):
        pytest.fail(f"{URL_VARIABLE} must start with postgresql+asyncpg://, got {url!r}")
    return PostgresServer(url)


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    server = configured_server()
    server.prepare_template()
    return server


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which database a storage test runs on: every such test runs on both."""
    return request.param


def _database_url(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, *, migrated: bool
) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'govgraph.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database(migrated=migrated)
    try:
        yield url
    finally:
        server.drop_database(url)


@pytest.fixture
def storage_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the latest migration on the test's backend (SQLite: a new file, which the code
    under test migrates or creates as it does in service)."""
    yield from _database_url(request, backend, tmp_path, migrated=True)


@pytest.fixture
def empty_database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database without any table on the test's backend."""
    yield from _database_url(request, backend, tmp_path, migrated=False)
