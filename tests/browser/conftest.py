"""Browser tests: Debian's Chromium driven by Playwright, against the real application
served by waitress on 127.0.0.1 (a free port) over a fresh migrated SQLite database.

Fixtures, and what each stands on::

    chromium (session: the browser, or a skip/CI failure with the reason)
    portal_server (session: a plugin of known pages + every installed plugin, a moderator)
        └─ page (a new browser context per test: every request to another host is
                 aborted and fails the test, and so does any console error)

``axe(page)`` runs axe-core (``npm install``: node_modules/axe-core) in the page and
returns the serious and critical violations. Screenshots go to ``screenshots/`` at the
top of the repository.
"""

import json
import sys
import textwrap
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from portal.testing import TEST_SECRET, PluginSite, migrate


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


def require(reason):
    """tests/conftest.py's rule (skip here, fail in CI), loaded from pytest's own module
    table: the test folders are not packages (``--import-mode=importlib``)."""
    sys.modules["tests.conftest"].require(reason)


ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "screenshots"
MODERATOR = ("mod", "correct horse battery staple")

# A section with every reading feature on its pages: contents, code, admonitions, dates.
LONG_PAGE = """\
---
title: Brewing tea
summary: Water, leaves, time and temperature, step by step.
updated: 2025-03-14
order: 1
---

Tea is leaves and water; everything else is detail worth getting right.

## Choosing the water

{filler}

## Heating

{filler}

```python
def brew(leaves, water_c=85, minutes=3):
    \"\"\"Steep the leaves; return the cup.\"\"\"
    return {{"leaves": leaves, "water": water_c, "minutes": minutes}}
```

### Temperatures by kind

| Kind | Water |
|---|---|
| Green | 75-80 C |
| Black | 95 C |

!!! warning "Hot water"
    Boiling water scalds. Pour away from you.

## Steeping

{filler}

!!! tip
    A lid keeps the pot warm while it steeps.

## Serving

{filler}

## Storing the leaves

{filler}
"""
FILLER = " ".join(["Leaves open slowly in warm water and give their taste to the cup."] * 14)

FIXTURE_PLUGIN = {
    "portal_teahouse/__init__.py": """
        def includeme(config):
            config.add_portal_section("teahouse", title="Teahouse", content="portal_teahouse:content",
                                      summary="The browser tests' own section.", order=1)
    """,
    "portal_teahouse/content/index.md": "# Teahouse\n\nA small section about tea, for the browser tests.\n",
    "portal_teahouse/content/brewing.md": LONG_PAGE.format(filler=FILLER),
    "portal_teahouse/content/kettles.md": """\
        ---
        title: Kettles
        order: 2
        ---

        A kettle heats water. Gooseneck kettles pour slowly.

        ## Electric kettles

        Most have a thermostat.
        """,
    "portal_teahouse/content/cups.md": "---\ntitle: Cups\norder: 3\n---\n\nPorcelain keeps tea hot.\n",
    # Wider than a phone: a table and a code line that must scroll inside themselves.
    "portal_teahouse/content/blends.md": """\
        ---
        title: Blends
        summary: Which leaves go together, in a table too wide for a phone.
        order: 4
        ---

        | Blend | Base | Second leaf | Third leaf | Water | Minutes | Cups | Notes for the host |
        |---|---|---|---|---|---|---|---|
        | Breakfast | Assam | Ceylon | Kenya | 95 C | 4 | 2 | Strong enough for milk, served with breakfast |

        ```python
        BLENDS = {"breakfast": ["assam", "ceylon", "kenya"], "afternoon": ["darjeeling", "ceylon", "nilgiri", "yunnan"]}
        ```
        """,
}


class ServerThread:
    """waitress in a daemon thread on a free port of 127.0.0.1."""

    def __init__(self, app):
        import waitress

        self.server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4,
                                             channel_timeout=30)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def portal_server(tmp_path_factory):
    """The portal over HTTP: the teahouse section and every installed plugin, a migrated
    SQLite database, a moderator, comment limits relaxed for tests."""
    from portal import main
    from portal.discussion.models import Comment
    from portal.moderation.models import Moderator
    from portal.moderation.passwords import hash_password

    site_dir = tmp_path_factory.mktemp("browser-site")
    site = PluginSite(site_dir)
    site.install("teahouse", {k: textwrap.dedent(v) for k, v in FIXTURE_PLUGIN.items()})
    sys.path.insert(0, str(site_dir))
    db = tmp_path_factory.mktemp("browser-db") / "portal.sqlite"
    settings = {
        "sqlalchemy.url": f"sqlite:///{db}",
        "portal.secret": TEST_SECRET,
        "portal.comments.min_seconds": "0",
        "portal.comments.rate_limit": "1000",
    }
    migrate(settings)
    app = main({}, **settings)
    with app.registry["dbsession_factory"]() as s:
        s.add(Moderator(name=MODERATOR[0], password_hash=hash_password(MODERATOR[1])))
        # A comment waiting in the moderation queue (on a page no other test comments on).
        waiting = Comment(page_key="teahouse/kettles", author_name="Tess", state="pending",
                          body_source="Do **copper** kettles change the taste?",
                          body_html="<p>Do <strong>copper</strong> kettles change the taste?</p>")
        s.add(waiting)
        s.flush()
        waiting.root_id = waiting.id
        s.commit()
    try:
        with ServerThread(app) as server:
            yield server.url
    finally:
        sys.path.remove(str(site_dir))


class PageWatch:
    """What a page did that a test must not allow: requests to other hosts, console errors."""

    def __init__(self):
        self.foreign = []
        self.errors = []
        self.allowed_errors = []  # substrings of console errors a test expects

    def check(self):
        assert self.foreign == [], f"requests to other hosts: {self.foreign}"
        errors = [e for e in self.errors if not any(a in e for a in self.allowed_errors)]
        assert errors == [], f"console errors: {errors}"


def new_context(chromium, watch, **options):
    context = chromium.new_context(**options)

    def route(route):
        url = route.request.url
        host = urlsplit(url).hostname
        if url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            watch.foreign.append(url)
            route.abort()

    context.route("**/*", route)
    return context


def watch_page(page, watch):
    page.on("console", lambda m: m.type == "error" and watch.errors.append(m.text))
    page.on("pageerror", lambda exc: watch.errors.append(f"uncaught: {exc}"))
    return page


@pytest.fixture
def watch():
    return PageWatch()


@pytest.fixture
def open_page(chromium, watch):
    """``open_page(**context_options)``: a page in a fresh context (its own cookies and
    storage), watched for foreign requests and console errors."""
    contexts = []

    def factory(**options):
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = new_context(chromium, watch, **options)
        contexts.append(context)
        return watch_page(context.new_page(), watch)

    yield factory
    for context in contexts:
        context.close()
    watch.check()


@pytest.fixture
def page(open_page):
    return open_page()


def run_axe(page, tags=("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")):
    """The serious and critical axe-core violations on ``page``, as readable strings."""
    if not AXE.exists():
        require(f"axe-core is not installed ({AXE} missing): run npm install")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated by the browser's debugger protocol: the page's CSP does not apply.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        list(tags))
    found = []
    for v in result["violations"]:
        if v["impact"] in ("serious", "critical"):
            targets = [" ".join(map(str, n["target"])) for n in v["nodes"][:5]]
            found.append(f"{v['id']} ({v['impact']}): {v['help']} at {json.dumps(targets)}")
    return found


def take_screenshot(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in_page(page, base):
    page.goto(base + "/-/moderation/@@login")
    page.fill("#login-form input[name=name]", MODERATOR[0])
    page.fill("#login-form input[name=password]", MODERATOR[1])
    page.click("#login-form button[type=submit]")
    page.wait_for_url(base + "/-/moderation/")


# The helpers as fixtures: the test folders are not packages, so tests cannot import them.

@pytest.fixture
def axe():
    """``axe(page)``: the serious and critical axe-core violations on the page."""
    return run_axe


@pytest.fixture
def screenshot():
    """``screenshot(page, name)``: a full-page PNG under screenshots/."""
    return take_screenshot


@pytest.fixture
def log_in():
    """``log_in(page, base)``: log the page's context in as the moderator."""
    return log_in_page
