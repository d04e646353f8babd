"""The Alembic migrations build exactly the schema the models describe, on SQLite and on
PostgreSQL, and go down and up again (``portal db upgrade`` runs them)."""

import subprocess
import sys
import textwrap

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import portal.models  # noqa: F401  (every model module, as the application loads them)
from portal.db import Base
from portal.ops.schema import alembic_config
from portal.testing import TEST_SECRET


def differences(url):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()


def test_the_migrated_schema_matches_the_models(database_url):
    assert differences(database_url) == []


def test_the_migrations_go_down_and_up_again(database_url):
    config = alembic_config({"sqlalchemy.url": database_url})
    command.downgrade(config, "0001")
    assert differences(database_url) != []
    command.upgrade(config, "head")
    assert differences(database_url) == []
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        indexes = {ix["name"] for ix in sa.inspect(conn).get_indexes("comments")}
    engine.dispose()
    assert {"ix_comments_page_threads", "ix_comments_root_created",
            "ix_comments_page_state_created", "ix_comments_parent_id"} <= indexes


def test_portal_db_upgrade_creates_the_schema_of_an_empty_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    ini = tmp_path / "site.ini"
    ini.write_text(textwrap.dedent(f"""
        [app:main]
        use = egg:backend-portal
        sqlalchemy.url = {url}
        portal.secret = {TEST_SECRET}
    """), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "portal.ops.cli", "db", "upgrade", str(ini)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert differences(url) == []
