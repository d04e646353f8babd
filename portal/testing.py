"""The portal's test kit: a pytest plugin (entry point ``pytest11 = portal``) for the core's
tests and for plugin authors' own.

Fixtures, and what each stands on::

    portal_database_url ─┐            (a fresh migrated SQLite file per test)
                         ├─ portal_app_factory(plugins=[...], **settings) -> webtest.TestApp
    portal_settings ─────┘      └─ portal_app (every installed plugin)
    installed_plugin(name, files={...})  a real distribution (dist-info with entry points)
                                         on sys.path, for tests of plugin loading

A plugin author's test needs only::

    from portal.testing import assert_pages_render, assert_runnable_blocks_run

    def test_every_page_renders(portal_app_factory):
        app = portal_app_factory(plugins=["acme"], strict=True)
        assert_pages_render(app, "acme")        # 200, its title, no located problem
        assert_runnable_blocks_run(app, "acme")  # every ```python runnable block runs

Helpers: ``section_pages(app, name)`` (path and title of each page), ``assert_pages_render``,
``runnable_blocks`` and ``assert_runnable_blocks_run``, ``with_token(app, form)`` (a form
filled as the browser's script fills it), ``log_in_moderator(app)`` (moderators see the
details of ``/-/plugins``), ``ManualClock`` (time moved by the test), ``build_wheel`` and
``fresh_venv`` (real packages).

``plugins=[...]`` names installed plugins (their entry point names); a name that is not
installed is an error, so a test cannot pass against a portal without its plugin.
``strict=True`` makes a plugin that fails to load raise with the portal's message instead
of being listed as failed (what a plugin's own tests want; see docs/plugins.md).
"""

import datetime
import importlib
import shutil
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest


def pytest_configure(config):
    """pytest imports the modules of a distribution that provides a pytest plugin (this
    one) through its assertion-rewriting import hook. Pyramid's static views ask
    pkg_resources about the files of a package, and pkg_resources refuses modules loaded by
    a loader it does not know: tell it those modules live on the file system, as pytest
    itself used to."""
    import pkg_resources
    from _pytest.assertion.rewrite import AssertionRewritingHook

    pkg_resources.register_loader_type(AssertionRewritingHook, pkg_resources.DefaultProvider)


TEST_SECRET = "test-secret-not-for-production-0123456789abcdef"


def migrate(settings):
    """Create the schema with the Alembic migrations, as ``portal db upgrade`` does."""
    from alembic import command

    from .ops.schema import alembic_config

    command.upgrade(alembic_config(settings), "head")


def build_app(settings, plugins=None):
    """The full WSGI application wrapped in WebTest, with ``plugins`` only (None: all)."""
    import webtest

    from . import make_app

    settings = dict(settings)
    if plugins is not None:
        _require_installed(plugins)
        # A name no plugin has keeps "only these" meaning "none" for an empty list.
        settings["portal.plugins.only"] = " ".join(plugins) or "-"
    app = make_app(settings)  # no environment: a test sees only the settings it gives
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.10"})


def _require_installed(names):
    from .plugins import discover

    installed = sorted({ep.name for ep in discover()})
    missing = [name for name in names if name not in installed]
    if missing:
        raise LookupError(
            f"no installed plugin is named {', '.join(map(repr, missing))} "
            f"(installed: {', '.join(installed) or 'none'}); install the plugin's package "
            "into this environment first, e.g. `pip install -e .` in its folder"
        )


def section_pages(app, section):
    """``(path, title)`` of section ``section``'s landing page and of every page in it, in
    reading order, from the portal ``app`` (a ``webtest.TestApp`` of ``build_app``)."""
    registry = app.app.registry
    if section not in registry.portal_root.sections:
        plugins = {rec.name: rec for rec in registry.portal_plugins}
        owner = next((rec for rec in plugins.values() if section in rec.sections), None)
        problems = "; ".join(f"{rec.label}: {rec.error}" for rec in plugins.values() if rec.error)
        raise LookupError(f"no section {section!r} in this portal"
                          + (f" (owned by {owner.label})" if owner else "")
                          + (f"; failed plugins: {problems}" if problems else ""))
    return [("/" + node.key + "/", node.title) for node in registry.portal_root[section].walk()]


def _section(app, section):
    section_pages(app, section)  # a missing section raises with the reason
    registry = app.app.registry
    node = registry.portal_root[section]
    rec = registry.portal_plugins.records.get(node.plugin)
    return node, rec


def assert_pages_render(app, section, *, warnings=True):
    """Every page of ``section`` answers 200 with its title in ``<title>``; with
    ``warnings`` (the default), the portal also found no located problem in the section's
    files (broken links, unknown front matter keys, missing static files, images in the
    content folder...). Raises ``AssertionError`` listing every failure at once."""
    node, rec = _section(app, section)
    failures = []
    for path, title in section_pages(app, section):
        response = app.get(path, status="*")
        if response.status_int != 200:
            failures.append(f"GET {path} answered {response.status}")
        elif title not in response.html.title.get_text():
            failures.append(f"GET {path}: the title {title!r} is not in <title>")
    if warnings and rec is not None:
        files = {str(doc.source) for doc in node.documents}
        folder = str(node.documents[0].source.parent)
        failures.extend(str(w) for w in rec.warnings
                        if getattr(w, "file", None) in files or str(getattr(w, "file", "")).startswith(folder))
    if failures:
        raise AssertionError(f"section {section!r}:\n" + "\n".join(failures))


def runnable_blocks(app, section):
    """``(file, line, source)`` of every fenced block marked ``python runnable`` in the
    pages of ``section``."""
    node, _ = _section(app, section)
    return [(doc.source, block.line, block.source) for doc in node.documents for block in doc.code
            if block.lang == "python" and "runnable" in block.info.split()[1:]]


def assert_runnable_blocks_run(app, section, *, timeout=30, python=None):
    """Run every ``python runnable`` block of ``section`` the way the portal's own suite
    does: each alone, in a fresh interpreter (``python -I``), in an empty temporary
    folder, within ``timeout`` seconds. Raises ``AssertionError`` naming each block that
    failed (``file:line``) with the last line it printed."""
    import subprocess
    import tempfile

    failures = []
    for file, line, source in runnable_blocks(app, section):
        with tempfile.TemporaryDirectory(prefix="portal-runnable-") as folder:
            try:
                done = subprocess.run([python or sys.executable, "-I", "-c", source], cwd=folder,
                                      capture_output=True, text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                failures.append(f"{file}:{line}: did not finish within {timeout} s")
                continue
        if done.returncode:
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            failures.append(f"{file}:{line}: exited {done.returncode}: {tail}")
    if failures:
        raise AssertionError(f"section {section!r}:\n" + "\n".join(failures))


MODERATOR_PASSWORD = "test-kit moderator password"


def log_in_moderator(app, name="test-moderator", password=MODERATOR_PASSWORD):
    """Log ``app`` (a WebTest app of ``build_app``) in as a moderator, creating the
    moderator first if needed; later requests of ``app`` carry the session. Moderators
    see the details of ``/-/plugins`` (errors, locations, settings) that strangers do not."""
    import sqlalchemy as sa

    from .moderation.models import Moderator
    from .moderation.passwords import hash_password

    with app.app.registry["dbsession_factory"]() as session:
        if session.scalar(sa.select(Moderator).where(Moderator.name == name)) is None:
            session.add(Moderator(name=name, password_hash=hash_password(password)))
            session.commit()
    form = app.get("/-/moderation/@@login").forms["login-form"]
    form["name"] = name
    form["password"] = password
    answer = form.submit()
    if answer.status_int != 303:
        raise AssertionError(f"logging in as moderator {name!r} answered {answer.status}")
    return app


def with_token(app, form):
    """``form`` (a WebTest form of a page) as a browser's forms.js leaves it before sending:
    its CSRF token and stamp fetched from the form's ``data-token-url``. Pages carry
    neither, so every reader gets the same page; without them a post is answered with the
    form again, holding both (what a reader without JavaScript sees)."""
    url = form.html.find("form").get("data-token-url")
    if url is None:
        return form
    answer = app.get(url).json
    for name, value in (("csrf_token", answer["csrf_token"]), ("stamp", answer["stamp"])):
        if name in form.fields and not form[name].value:
            form[name] = value
    return form


@pytest.fixture(scope="session")
def _portal_template_db(tmp_path_factory):
    """A migrated SQLite file made once per session; each test gets a copy."""
    path = tmp_path_factory.mktemp("portal-db") / "template.sqlite"
    migrate({"sqlalchemy.url": f"sqlite:///{path}"})
    return path


@pytest.fixture
def portal_database_url(tmp_path, _portal_template_db):
    """A database for one test: a fresh copy of the migrated SQLite template."""
    path = tmp_path / "portal.sqlite"
    shutil.copyfile(_portal_template_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def portal_settings(portal_database_url):
    return {
        "sqlalchemy.url": portal_database_url,
        "portal.secret": TEST_SECRET,
        "portal.comments.min_seconds": "0",
    }


class ManualClock:
    """A clock that moves only when told (``clock.advance(seconds)``), for tests of rules that
    depend on time passing: the comment edit window, form stamps, rate limits, the page
    cache, plugins' cool-downs. Pass it as ``portal_app_factory(clock=clock)``."""

    def __init__(self, start=None):
        self._wall = time.time() if start is None else float(start)
        self._monotonic = 1000.0

    def time(self):
        return self._wall

    def monotonic(self):
        return self._monotonic

    def utcnow(self):
        return datetime.datetime.fromtimestamp(self._wall, datetime.UTC).replace(tzinfo=None)

    def advance(self, seconds):
        self._wall += seconds
        self._monotonic += seconds


@pytest.fixture
def portal_clock():
    """A ``ManualClock`` at the current time."""
    return ManualClock()


@pytest.fixture
def portal_app_factory(portal_settings):
    """Build a portal: ``portal_app_factory(plugins=["acme"], strict=True, clock=None,
    **settings)``."""

    def factory(plugins=None, *, strict=None, clock=None, **overrides):
        if strict is not None:
            overrides["portal.plugins.strict"] = "true" if strict else "false"
        if clock is not None:
            overrides["portal.clock"] = clock
        return build_app({**portal_settings, **overrides}, plugins=plugins)

    return factory


@pytest.fixture
def portal_app(portal_app_factory):
    """The portal with every installed plugin."""
    return portal_app_factory()


class PluginSite:
    """A folder on ``sys.path`` where tests install plugin distributions: real
    ``*.dist-info`` folders with ``entry_points.txt``, found by ``importlib.metadata``
    exactly as pip-installed ones are."""

    def __init__(self, root):
        self.root = root
        self.modules = []

    def install(self, name, files, *, version="1.0", entry_point=None, dist=None, metadata=None):
        """Install distribution ``dist`` (default ``portal-<name>``) holding ``files``
        (relative path -> text) whose entry point ``name`` is ``entry_point`` (default
        the module ``portal_<name>``); ``metadata``: more METADATA fields, as
        ``[("Project-URL", "Source, https://...")]``."""
        module = "portal_" + name.replace("-", "_")
        dist = dist or f"portal-{name}"
        for rel, text in files.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        info = self.root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        fields = "".join(f"{key}: {value}\n" for key, value in metadata or ())
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n{fields}", encoding="utf-8"
        )
        # Which importable packages the distribution holds, as pip records it: what
        # importlib.metadata.packages_distributions() reads (edit links use it).
        (info / "top_level.txt").write_text(
            "\n".join(sorted({rel.split("/", 1)[0] for rel in files if "/" in rel})) + "\n",
            encoding="utf-8")
        (info / "entry_points.txt").write_text(
            f"[portal.plugins]\n{name} = {entry_point or module}\n", encoding="utf-8"
        )
        self.modules.append(module)
        importlib.invalidate_caches()
        return module


@pytest.fixture
def installed_plugin(tmp_path):
    """Install throw-away plugin distributions for one test: ``installed_plugin(name, files)``."""
    root = tmp_path / f"site-{uuid.uuid4().hex[:8]}"
    root.mkdir()
    site = PluginSite(root)
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    yield site.install
    sys.path.remove(str(root))
    for module in site.modules:
        for name in [m for m in sys.modules if m == module or m.startswith(module + ".")]:
            del sys.modules[name]
    importlib.invalidate_caches()


# Real wheels and real servers: for tests that prove a package works as pip installs it.


def build_wheel(project, dest):
    """Build ``project``'s wheel into ``dest`` with this interpreter's setuptools (no
    network: no isolated build environment) and return its path."""
    import subprocess

    before = set(Path(dest).glob("*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(dest), str(project)],
        check=True, capture_output=True, text=True,
    )
    (built,) = set(Path(dest).glob("*.whl")) - before
    return built


def fresh_venv(path, *requirements):
    """A new virtual environment at ``path`` with ``requirements`` pip-installed (wheels
    or names; dependencies come from the package index, usually from pip's cache)."""
    import subprocess
    import venv

    venv.EnvBuilder(with_pip=True).create(path)
    python = Path(path) / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         *map(str, requirements)],
        check=True, capture_output=True, text=True,
    )
    return python


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url, timeout=30.0, process=None):
    """Poll ``url`` until it answers (any status); fail early if ``process`` died."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing answered at {url} within {timeout}s") from None
            time.sleep(0.1)


def write_ini(path, port, database_url, **settings):
    """A minimal .ini serving the installed portal on 127.0.0.1:``port``."""
    lines = ["[app:main]", "use = egg:backend-portal", f"sqlalchemy.url = {database_url}",
             f"portal.secret = {TEST_SECRET}"]
    lines += [f"{key} = {value}" for key, value in settings.items()]
    lines += ["", "[server:main]", "use = egg:waitress#main", f"listen = 127.0.0.1:{port}", ""]
    Path(path).write_text("\n".join(lines), encoding="utf-8")
    return path
