"""The layering of docs/architecture.md checked on the source: who may import whom, how big a module grows.

cli -> app -> agencies -> (federation kit, ledger, zk); the gateway -> the federation kit. zk is a pure
library (no govgraph, no environment); the ledger knows no settings, no GraphQL and no zk, and only its
http.py serves HTTP (its witness client calls witnesses with httpx)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 600


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported(path: Path) -> set[str]:
    """Every module name an import statement in `path` names (relative imports resolved to their package)."""
    names: set[str] = set()
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                names.add(f"{base}.{node.module}" if node.module else base)
            else:
                names.add(node.module or "")
    return names


def offending(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path in paths
        for name in imported(path)
        if any(name == prefix or name.startswith(prefix + ".") for prefix in forbidden)
    )


def test_zk_imports_nothing_from_govgraph() -> None:
    assert offending(modules("zk"), ("govgraph",)) == []


def test_zk_reads_no_environment() -> None:
    readers = [
        str(path.relative_to(ROOT))
        for path in modules("zk")
        if "os.environ" in path.read_text() or "getenv" in path.read_text()
    ]
    assert readers == []


@pytest.mark.parametrize("package", ["govgraph/federation", "govgraph/ledger"])
def test_the_kit_and_the_ledger_know_no_settings_app_cli_or_agency(package: str) -> None:
    forbidden = ("govgraph.config", "govgraph.app", "govgraph.cli", "govgraph.agencies")
    assert offending(modules(package), forbidden) == []


def test_the_ledger_knows_neither_graphql_nor_zk() -> None:
    assert offending(modules("govgraph/ledger"), ("zk", "strawberry", "graphql")) == []


def test_only_the_ledgers_http_module_serves_http() -> None:
    core = [path for path in modules("govgraph/ledger") if path.name != "http.py"]
    assert offending(core, ("starlette", "uvicorn")) == []


def test_the_gateway_uses_only_the_federation_kit() -> None:
    assert offending(modules("govgraph/federation/gateway"), ("govgraph.ledger", "govgraph.wallet")) == []


def test_no_source_file_is_over_600_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for package in ("govgraph", "zk")
        for path in modules(package)
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_test_modules_are_not_libraries() -> None:
    # Shared test code lives in named support modules (tests/support, tests/zk/elections.py, ...), never in a
    # test module another one imports.
    importers = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path in (ROOT / "tests").rglob("*.py")
        for name in imported(path)
        if name.rsplit(".", 1)[-1].startswith("test_")
    )
    assert importers == []
