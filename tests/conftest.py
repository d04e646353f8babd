"""Fixtures of the core's own tests, beside the test kit (portal/testing.py).

PostgreSQL and the browser are required in CI (CI=true, set by .ci/run): there a missing
server or browser fails the run instead of skipping; elsewhere the tests skip with the reason.
"""

import os
import uuid

import pytest
import sqlalchemy as sa

from portal.db import Base
from portal.testing import migrate

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def require(reason):
    """Skip with ``reason``, or fail in CI where the suite must run whole."""
    if os.environ.get("CI"):
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url():
    """A database of its own for this test run on the PostgreSQL server, dropped at the end."""
    server = os.environ.get("PORTAL_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"portal_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no driver, no server, no permission: all mean "not here"
        admin.dispose()
        require(f"PostgreSQL at {server} is not usable: {type(exc).__name__}: {exc}".splitlines()[0])
    url = sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
    migrate({"sqlalchemy.url": url})
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(url):
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_url(request, portal_database_url):
    """Run a test on SQLite and again on PostgreSQL, each time on empty tables."""
    if request.param == "sqlite":
        yield portal_database_url
        return
    url = request.getfixturevalue("postgres_url")
    _truncate(url)
    yield url
    _truncate(url)


@pytest.fixture
def app_on_both(portal_app_factory, database_url):
    """The portal with every installed plugin, on SQLite and on PostgreSQL."""

    def factory(**settings):
        return portal_app_factory(**{"sqlalchemy.url": database_url, **settings})

    return factory


# -- comments, ratings and moderation (issue 4) --------------------------------------------

DEMO_PLUGIN = {
    "portal_demo/__init__.py": """
        def includeme(config):
            config.add_portal_section("demo", title="Demo", content="portal_demo:content",
                                      summary="A section for the discussion tests.")
    """,
    "portal_demo/content/index.md": "# Demo\n\nThe demo section.\n",
    "portal_demo/content/first.md": "---\norder: 1\n---\n# First page\n\nSome text.\n",
    "portal_demo/content/second.md": "---\norder: 2\n---\n# Second page\n\nMore text.\n",
    "portal_demo/content/guide/index.md": "---\norder: 3\n---\n# Guide\n\nA folder.\n",
    "portal_demo/content/guide/deep.md": "# Deep page\n\nNested.\n",
}


@pytest.fixture
def demo_app(installed_plugin, app_on_both):
    """``demo_app(**settings)``: the portal with one small section, ``demo`` (pages
    ``demo/first``, ``demo/second``, ``demo/guide``, ``demo/guide/deep``), on SQLite and
    again on PostgreSQL."""
    installed_plugin("demo", DEMO_PLUGIN)

    def factory(**settings):
        return app_on_both(**{"portal.plugins.only": "demo", **settings})

    return factory


@pytest.fixture
def serve():
    """``serve(wsgi_app) -> "http://127.0.0.1:<port>"``: the application over real HTTP,
    waitress in a thread on a free port, stopped after the test."""
    import threading

    import waitress

    servers = []

    def start(app, threads=8):
        server = waitress.create_server(app, host="127.0.0.1", port=0, threads=threads,
                                        channel_timeout=60)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.effective_port}"

    yield start
    for server, thread in servers:
        server.close()
        thread.join(timeout=5)


CHROMIUM = os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium through Playwright (Playwright's own browser download is not used).
    One for the whole run: Playwright's sync API cannot start twice at once."""
    if not os.path.exists(CHROMIUM):
        require(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require("the playwright package is not installed (pip install -e '.[testing]')")
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as exc:  # a broken or incompatible browser: say which
            require(f"Chromium at {CHROMIUM} does not start: {str(exc).splitlines()[0]}")
        yield browser
        browser.close()

