from pathlib import Path

from sqlalchemy import text

from govgraph import db


async def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path}/nested/dir/gg.db")
    try:
        async with engine.connect() as connection:
            journal = (await connection.execute(text("PRAGMA journal_mode"))).scalar_one()
            foreign_keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar_one()
            busy = (await connection.execute(text("PRAGMA busy_timeout"))).scalar_one()
        assert (journal, foreign_keys, busy) == ("wal", 1, db.SQLITE_BUSY_TIMEOUT_MS)
        assert (tmp_path / "nested" / "dir" / "gg.db").is_file()
    finally:
        await engine.dispose()


async def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path}/gg.db")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
            await connection.execute(
                text(
                    "CREATE TABLE child (id INTEGER PRIMARY KEY, "
                    "parent_id INTEGER NOT NULL REFERENCES parent(id))"
                )
            )
        async with engine.begin() as connection:
            try:
                await connection.execute(text("INSERT INTO child (id, parent_id) VALUES (1, 42)"))
            except Exception as exc:  # the driver's IntegrityError, wrapped by SQLAlchemy
                assert "FOREIGN KEY constraint failed" in str(exc)
            else:
                raise AssertionError("an orphan row was accepted")
    finally:
        await engine.dispose()


async def test_session_factory_round_trip(tmp_path: Path) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path}/gg.db")
    try:
        await db.ping(engine)
        async with db.session_factory(engine)() as session:
            assert (await session.exec(text("SELECT 40 + 2"))).scalar_one() == 42
    finally:
        await engine.dispose()


def test_postgresql_urls_get_the_asyncpg_dialect() -> None:
    engine = db.create_engine("postgresql+asyncpg://gg:secret@127.0.0.1:5432/govgraph")
    assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "asyncpg")
    assert engine.url.database == "govgraph"
