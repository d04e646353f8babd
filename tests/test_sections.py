"""The installed sections, checked rather than trusted: every Python block compiles, every
``python runnable`` block runs, every page has a title and a summary and renders without
warnings, and every link between pages of the portal leads somewhere.

These run over whatever plugins are installed (``make test`` installs every package under
plugins/), so a plugin author's mistake fails the build that would publish it.
"""

import importlib.metadata
import re
import subprocess
import sys
import urllib.parse
from html.parser import HTMLParser

import pytest

from portal.content import make_markdown
from portal.plugins import ENTRY_POINT_GROUP

TECHNOLOGY_SECTIONS = [
    "django", "flask", "docker-kubernetes", "fastapi", "tornado", "pyramid", "sqlalchemy",
    "celery", "redis",
]
ALL_SECTIONS = TECHNOLOGY_SECTIONS + ["guide", "plugin-authors"]
FIRST_PARTY = sorted(
    ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    if ep.dist and ep.dist.metadata["Name"].startswith("portal-")
)
RUNNABLE = "runnable"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The portal with every installed plugin (content is read-only here)."""
    from alembic import command  # noqa: F401  (the app needs no schema for reading)

    from portal.testing import TEST_SECRET, build_app, migrate

    db = tmp_path_factory.mktemp("sections") / "portal.sqlite"
    settings = {"sqlalchemy.url": f"sqlite:///{db}", "portal.secret": TEST_SECRET}
    migrate(settings)
    app = build_app(settings)
    return app, app.app.registry


def sections_of(registry, plugin):
    record = registry.portal_plugins.records[plugin]
    assert record.status == "loaded", f"{record.label}: {record.error}"
    return [registry.portal_root[name] for name in record.sections]


def code_blocks(doc):
    """(language, info words, first line, source) of every fenced block of a page."""
    tokens = make_markdown().parse(doc.source.read_text(encoding="utf-8"))
    for tok in tokens:
        if tok.type == "fence":
            words = tok.info.split()
            yield (words[0] if words else ""), words[1:], tok.map[0] + 2, tok.content


def prose_words(section):
    return sum(doc.words for doc in section.documents)


def test_every_first_party_section_is_installed(site):
    app, registry = site
    html = app.get("/").text
    for name in ALL_SECTIONS:
        assert f'href="http://localhost/{name}/"' in html, f"section {name} is not on the home page"


@pytest.mark.parametrize("name", TECHNOLOGY_SECTIONS)
def test_a_technology_section_has_a_landing_six_pages_and_3000_words(site, name):
    app, registry = site
    section = registry.portal_root[name]
    assert len(section.documents) >= 7, f"{name}: landing + {len(section.documents) - 1} pages"
    assert prose_words(section) >= 3000, f"{name}: {prose_words(section)} words of prose"


@pytest.mark.parametrize("plugin", FIRST_PARTY)
def test_every_page_has_a_title_a_summary_and_no_renderer_warnings(site, plugin):
    app, registry = site
    problems = []
    for section in sections_of(registry, plugin):
        for doc in section.documents:
            if not doc.summary:
                problems.append(f"{doc.source}: no summary in the front matter")
            problems.extend(doc.warnings)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("plugin", FIRST_PARTY)
def test_every_python_block_compiles(site, plugin):
    app, registry = site
    problems = []
    for section in sections_of(registry, plugin):
        for doc in section.documents:
            for lang, _, line, source in code_blocks(doc):
                if lang != "python":
                    continue
                try:
                    compile(source, f"{doc.source}:{line}", "exec")
                except SyntaxError as exc:
                    problems.append(f"{doc.source}:{line + (exc.lineno or 1) - 1}: {exc.msg}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("plugin", FIRST_PARTY)
def test_every_runnable_block_runs(site, plugin, tmp_path):
    """Blocks fenced ```python runnable run alone, in a fresh interpreter, in an empty
    folder, with a time limit (docs/plugins.md: runnable code blocks)."""
    app, registry = site
    problems = []
    for section in sections_of(registry, plugin):
        for doc in section.documents:
            for lang, words, line, source in code_blocks(doc):
                if lang != "python" or RUNNABLE not in words:
                    continue
                workdir = tmp_path / f"block-{len(problems)}-{line}"
                workdir.mkdir()
                try:
                    result = subprocess.run([sys.executable, "-I", "-c", source], cwd=workdir,
                                            capture_output=True, text=True, timeout=20)
                except subprocess.TimeoutExpired:
                    problems.append(f"{doc.source}:{line}: did not finish within 20 s")
                    continue
                if result.returncode:
                    tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
                    problems.append(f"{doc.source}:{line}: exited {result.returncode}: {tail}")
    assert not problems, "\n".join(problems)


class LinkParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            attrs = dict(attrs)
            href = attrs.get("href")
            # rel="nofollow": actions, not documents (the theme switch, "Report a problem").
            if href and "nofollow" not in (attrs.get("rel") or "").split():
                self.links.append(href)


def test_every_link_between_pages_leads_somewhere(site):
    """Crawl the whole portal from the home page; every internal link answers 200 (after
    at most one redirect) and every #fragment names an element on the target page."""
    app, registry = site
    seen, broken = {}, []
    queue = [("http://localhost/", "start")]
    while queue:
        url, origin = queue.pop()
        page_url, _, fragment = url.partition("#")
        if page_url not in seen:
            response = app.get(page_url, status="*")
            if response.status_int in (301, 302):
                response = app.get(response.location, status="*")
            if response.status_int != 200:
                broken.append(f"{origin} -> {url}: {response.status}")
                seen[page_url] = ""
                continue
            html = response.text if response.content_type == "text/html" else ""
            seen[page_url] = html
            parser = LinkParser()
            parser.feed(html)
            for href in parser.links:
                target = urllib.parse.urljoin(page_url, href)
                if target.startswith("http://localhost/") and "/-/static/" not in target:
                    queue.append((target, page_url))
        html = seen[page_url]
        if fragment and html and not re.search(rf'id="{re.escape(fragment)}"', html):
            broken.append(f"{origin} -> {url}: no element with id {fragment!r}")
    pages = sum(1 for url in seen if not url.endswith(".json"))
    assert pages > 50
    assert not broken, "\n".join(sorted(set(broken)))
