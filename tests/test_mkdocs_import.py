"""``portal plugin new --from-mkdocs``, proven on a real MkDocs project (tests/mkdocs-project,
written for these tests, MIT): imported with the command, built into a wheel, installed
with the core's wheel into a fresh virtual environment (nothing fetched: the dependencies
come from this environment, see test_plugin_tooling.dependency_site), checked there by
``portal plugin check`` with zero problems, served by waitress, and every construct of
the project asserted in the HTML served; in Chromium, the tabs work without JavaScript
and from the keyboard, in light and dark.
"""

import importlib.util
import json
import os
import subprocess
import sys
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from portal.ops.cli import main as portal_command
from portal.plugins.mkdocs import import_mkdocs
from portal.testing import build_wheel, free_port, wait_for_http, write_ini

ROOT = Path(__file__).parents[1]
PROJECT = Path(__file__).with_name("mkdocs-project")
SCREENSHOTS = ROOT / "screenshots"


def _tooling():
    """The wheel helpers of test_plugin_tooling (test modules are not a package here)."""
    spec = importlib.util.spec_from_file_location("_tooling", Path(__file__).with_name("test_plugin_tooling.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _env():
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("PORTAL_")}


# The importer alone: what it writes ------------------------------------------------------


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    parent = tmp_path_factory.mktemp("imported")
    done = import_mkdocs(PROJECT / "mkdocs.yml", "taskq", parent)
    return done, done.target / "portal_taskq"


def front(path):
    import yaml

    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), path
    return yaml.safe_load(text.split("---\n")[1])


def test_pages_become_url_segments_with_nav_titles_and_order(imported):
    done, package = imported
    content = package / "content"
    pages = sorted(p.relative_to(content).as_posix() for p in content.rglob("*.md"))
    assert pages == ["index.md", "reference.md", "user-guide/configuration.md",
                     "user-guide/getting-started.md", "user-guide/index.md"]
    # Titles from nav (First steps), the file name (Configuration: nav gives none and the
    # page has no heading), the folder's nav section (Tutorial); order follows the nav.
    assert front(content / "user-guide/getting-started.md") == {"title": "First steps", "order": 20}
    assert front(content / "user-guide/configuration.md") == {"title": "Configuration", "order": 30}
    assert front(content / "user-guide/index.md") == {"title": "Tutorial", "order": 19}
    # The landing page keeps its own heading; description becomes summary, tags stay.
    assert "title" not in front(content / "index.md")
    assert front(content / "reference.md") == {
        "summary": "Every function of Taskq.", "tags": ["reference"], "title": "Reference", "order": 40}


def test_links_follow_renamed_pages_and_files_become_static(imported):
    done, package = imported
    index = (package / "content" / "index.md").read_text(encoding="utf-8")
    assert "[First steps](user-guide/getting-started.md)" in index
    assert "[the configuration](user-guide/configuration.md#workers)" in index
    assert "](/-/static/taskq/img/logo.svg){ width=\"96\" align=\"right\" }" in index
    reference = (package / "content" / "reference.md").read_text(encoding="utf-8")
    assert '<img src="../../-/static/taskq/img/logo.svg"' in reference  # raw HTML: relative
    assert (package / "static" / "img" / "logo.svg").is_file()
    # Snippets from outside docs/ are files of the package, their markers follow them.
    assert (package / "snippets" / "settings.py").is_file()
    assert (package / "snippets" / "includes" / "abbreviations.md").is_file()
    assert '--8<-- "snippets/includes/abbreviations.md"' in index


def test_the_section_title_summary_and_what_was_not_carried(imported):
    done, package = imported
    init = (package / "__init__.py").read_text(encoding="utf-8")
    assert 'title="Taskq"' in init
    assert 'summary="Background tasks for Python web applications, without a broker to run."' in init
    readme = (done.target / "README.md").read_text(encoding="utf-8")
    assert "## Imported from MkDocs" in readme
    for item in ("plugin 'mkdocstrings'", "plugin 'macros'", "'pymdownx.arithmatex'", "'Changelog'"):
        assert any(item in line for line in done.not_carried), item
        assert item in readme
    assert not any("search" in line for line in done.not_carried)  # the portal searches
    assert done.problems == []
    assert (done.pages, done.assets, done.snippets) == (4, 1, 2)


def test_the_command_prints_the_summary_and_refuses_what_it_cannot_import(tmp_path, capsys):
    status = portal_command(["plugin", "new", "--from-mkdocs", str(PROJECT / "mkdocs.yml"), "taskq",
                             "--dir", str(tmp_path)])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert out.startswith(f"Created {tmp_path / 'portal-taskq'} from ")
    assert "4 pages, 1 static files, 2 snippet files" in out
    assert "plugin 'mkdocstrings' is not carried" in out
    status = portal_command(["plugin", "new", "--from-mkdocs", str(tmp_path / "nowhere.yml"), "other",
                             "--dir", str(tmp_path)])
    assert status == 2 and "nowhere.yml cannot be read" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "mkdocs.yml").write_text("site_name: X\ndocs_dir: missing\n")
    status = portal_command(["plugin", "new", "--from-mkdocs", str(broken / "mkdocs.yml"), "other",
                             "--dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 2 and f"docs_dir {broken / 'missing'} of {broken / 'mkdocs.yml'} does not exist" in err


def test_a_snippet_that_leaves_the_package_is_a_located_problem(tmp_path):
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    (project / "mkdocs.yml").write_text("site_name: Leaky\n")
    (project / "docs" / "index.md").write_text("# Leaky\n\nText.\n\n--8<-- \"../../../etc/hostname\"\n")
    done = import_mkdocs(project / "mkdocs.yml", "leaky", tmp_path)
    (problem,) = done.problems
    assert problem.line == 5 and problem.file.endswith("content/index.md")
    assert "outside the plugin's package portal_leaky" in problem.message


# The whole round trip: wheel, fresh environment, check, served -----------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tooling = _tooling()
    tmp = tmp_path_factory.mktemp("mkdocs-site")
    env = _env()
    subprocess.run([sys.executable, "-m", "portal.ops.cli", "plugin", "new", "--from-mkdocs",
                    str(PROJECT / "mkdocs.yml"), "taskq", "--dir", str(tmp)],
                   check=True, capture_output=True, env=env)
    wheels = tmp / "wheels"
    wheels.mkdir()
    (tmp / "core").mkdir()
    core = build_wheel(tooling.copy_core(tmp / "core"), wheels)
    plugin = build_wheel(tmp / "portal-taskq", wheels)
    with zipfile.ZipFile(plugin) as archive:
        names = set(archive.namelist())
    target = tmp / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    python = target / "bin" / "python"
    deps = tooling.dependency_site(tmp / "deps", *tooling.wheel_requirements(core, "testkit"))
    (site_packages,) = (target / "lib").glob("python*/site-packages")
    (site_packages / "portal_test_dependencies.pth").write_text(
        f"import site; site.addsitedir({str(deps)!r})\n", encoding="utf-8")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-index", "--disable-pip-version-check",
                    "--find-links", str(wheels), "backend-portal", "portal-taskq"],
                   check=True, capture_output=True, text=True, cwd=tmp, env=env)
    check = subprocess.run([str(target / "bin" / "portal"), "plugin", "check", "taskq"],
                           capture_output=True, text=True, cwd=tmp, env=env)
    port = free_port()
    ini = write_ini(tmp / "site.ini", port, f"sqlite:///{tmp / 'portal.sqlite'}")
    subprocess.run([str(target / "bin" / "portal"), "db", "upgrade", str(ini)],
                   check=True, capture_output=True, cwd=tmp, env=env)
    server = subprocess.Popen([str(python), "-m", "pyramid.scripts.pserve", str(ini)], cwd=tmp,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/-/plugins.json", process=server)
        yield {"base": base, "check": check, "wheel": names, "python": python, "tmp": tmp, "env": env}
    finally:
        server.terminate()
        server.wait(timeout=10)


def get(site, path):
    with urllib.request.urlopen(site["base"] + path) as response:
        return response.read().decode()


def soup(site, path):
    return BeautifulSoup(get(site, path), "html.parser").select_one(".doc__body") or BeautifulSoup(
        get(site, path), "html.parser")


@pytest.mark.slow
def test_the_imported_plugin_installs_from_its_wheel_and_passes_check(site):
    assert site["check"].returncode == 0, site["check"].stdout + site["check"].stderr
    assert site["check"].stdout == ""  # not one problem
    assert "no problems in 1 plugin (taskq)" in site["check"].stderr
    assert {"portal_taskq/snippets/settings.py", "portal_taskq/snippets/includes/abbreviations.md",
            "portal_taskq/static/img/logo.svg", "portal_taskq/content/user-guide/index.md"} <= site["wheel"]
    listing = json.loads(get(site, "/-/plugins.json"))
    (entry,) = listing["plugins"]
    assert (entry["name"], entry["status"], entry["sections"]) == ("taskq", "loaded", ["taskq"])
    home = get(site, "/")
    assert "Taskq" in home and "Background tasks for Python web applications" in home
    # The plugin's own tests (the scaffold's) pass in that environment too.
    result = subprocess.run([str(site["python"]), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(site["tmp"] / "portal-taskq" / "tests")], capture_output=True, text=True,
                            cwd=site["tmp"], env=site["env"])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_admonitions_of_every_type_with_titles(site):
    body = soup(site, "/taskq/")
    kinds = {}
    for box in body.select("div.admonition"):
        title = box.select_one(":scope > .admonition-title")
        kinds[" ".join(box["class"][1:])] = title.get_text() if title else None
    assert kinds == {
        "note": "Note", "abstract": "In one sentence", "info": "Info", "tip": "Start here",
        "success": "Success", "question": "Why not Celery?", "warning": "Warning", "failure": "Failure",
        "danger": "Do not", "bug": "Bug", "example": "Example", "quote": None, "tip hint": "An alias",
    }


@pytest.mark.slow
def test_collapsible_blocks_closed_open_and_nested(site):
    body = soup(site, "/taskq/user-guide/getting-started/")
    closed, opened = body.select("details.admonition")
    assert closed["class"] == ["admonition", "tip"] and not closed.has_attr("open")
    assert closed.summary.get_text() == "Run it in tests"
    assert opened.has_attr("open") and opened.summary.get_text() == "Nested"
    assert opened.select_one("div.admonition.danger > .admonition-title").get_text() == "Danger"


@pytest.mark.slow
def test_content_tabs_are_radio_inputs_labels_and_blocks_with_code_inside(site):
    body = soup(site, "/taskq/user-guide/getting-started/")
    (tabs,) = body.select(".tabbed-set")
    inputs = tabs.select(":scope > input[type=radio]")
    assert [i["id"] for i in inputs] == ["__tabbed_1_1", "__tabbed_1_2", "__tabbed_1_3"]
    assert {i["name"] for i in inputs} == {"__tabbed_1"} and inputs[0].has_attr("checked")
    labels = tabs.select(":scope > .tabbed-labels > label")
    assert [(lab["for"], lab.get_text()) for lab in labels] == [
        ("__tabbed_1_1", "pip"), ("__tabbed_1_2", "uv"), ("__tabbed_1_3", "Poetry")]
    blocks = tabs.select(":scope > .tabbed-content > .tabbed-block")
    assert [b.select_one("pre code").get_text().strip() for b in blocks] == [
        "$ pip install taskq", "$ uv add taskq", "$ poetry add taskq"]
    assert blocks[2].p.code.get_text() == "pyproject.toml"


@pytest.mark.slow
def test_code_titles_highlighted_lines_line_numbers_and_annotations(site):
    body = soup(site, "/taskq/user-guide/getting-started/")
    titled = body.select(".code-titled")
    assert [t.select_one(".code-title").get_text() for t in titled] == ["tasks.py", "worker.py"]
    pre = titled[0].pre
    assert "linenums" in pre["class"]
    lines = pre.select("span.line")
    assert [line["data-line"] for line in lines] == [str(n) for n in range(1, 8)]
    assert [n + 1 for n, line in enumerate(lines) if "hll" in line["class"]] == [4, 5]
    markers = pre.select("a.code-annotation")
    assert [(m["data-n"], m["href"]) for m in markers] == [
        ("1", "#__code_1_annotation-1"), ("2", "#__code_1_annotation-2")]
    assert "# (1)!" not in pre.get_text() and "(2)" not in pre.get_text()
    notes = titled[0].find_next_sibling("ol")
    assert notes["class"] == ["code-annotations"]
    assert [li["id"] for li in notes.select("li")] == ["__code_1_annotation-1", "__code_1_annotation-2"]
    assert "three times" in notes.get_text()
    # file= is a title like title=; the defaults come from a snippet's section.
    assert "WORKERS = 2" in body.get_text() and "start:defaults" not in body.get_text()
    inline = body.select_one("code.highlight.language-python")
    assert inline.get_text() == "send_welcome.delay(42)" and inline.span is not None
    config = soup(site, "/taskq/user-guide/configuration/")
    block = config.select_one(".code-titled")
    assert block.select_one(".code-title").get_text() == "settings.py"
    assert 'DATABASE_URL = "sqlite:///tasks.db"' in block.get_text()
    assert "--8<--" not in block.get_text()


@pytest.mark.slow
def test_inline_constructs_lists_footnotes_abbreviations_and_icons(site):
    home = soup(site, "/taskq/")
    assert home.select_one("h2#inside").get_text().startswith("What is inside")
    assert [dt.get_text() for dt in home.select("dl > dt")] == ["Taskq", "taskq command"]
    boxes = home.select("li.task-list-item input[type=checkbox]")
    assert [b.has_attr("checked") for b in boxes] == [True, True, False]
    assert home.select_one("abbr[title='Hyper Text Markup Language']").get_text() == "HTML"
    assert home.select_one("sup.footnote-ref a")["href"] == "#fn1"
    assert "taskq[dashboard]" in home.select_one("section.footnotes").get_text()
    assert home.select_one("span.emoji").get_text() == "🚀"
    logo = home.select_one("img[alt='The Taskq logo']")
    # The plugin host gives links to static files their version (a cache-busting URL).
    assert logo["width"] == "96" and logo["src"].startswith("../-/static/taskq/img/logo.svg?v=")
    started = soup(site, "/taskq/user-guide/getting-started/")
    assert [k.get_text() for k in started.select(".keys kbd")] == ["Ctrl", "C"]
    config = soup(site, "/taskq/user-guide/configuration/")
    assert config.mark.get_text() == "the one place" and config.ins.get_text() == "new in 1.2"
    assert config.select_one("del").get_text() == "TASKQ_URL"
    assert config.sub.get_text() == "2" and config.sup.get_text() == "2"
    assert config.select_one(".icon--material-information-outline svg") is not None
    links = {a.get_text(): a["href"] for a in config.select("p a")}
    assert links == {"home page": "../../#inside", "reference": "../../reference/"}
    assert get(site, "/-/static/taskq/img/logo.svg").startswith("<svg")
    reference = soup(site, "/taskq/reference/")
    assert reference.select_one("img[alt=Taskq]")["src"] == "../../-/static/taskq/img/logo.svg"
    assert len(reference.select(".grid.cards li")) == 2


@pytest.mark.slow
@pytest.mark.browser
def test_tabs_work_without_javascript_and_from_the_keyboard_in_light_and_dark(site, chromium):
    colours = {}
    for scheme in ("light", "dark"):
        context = chromium.new_context(java_script_enabled=False, color_scheme=scheme,
                                       viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(site["base"] + "/taskq/user-guide/getting-started/")
        blocks = page.locator(".tabbed-block")
        assert [blocks.nth(i).is_visible() for i in range(3)] == [True, False, False]
        page.get_by_text("Poetry", exact=True).click()
        assert [blocks.nth(i).is_visible() for i in range(3)] == [False, False, True]
        # The keyboard: the checked radio takes the focus; the arrow keys change tabs.
        page.focus("#__tabbed_1_3")
        page.keyboard.press("ArrowLeft")
        assert [blocks.nth(i).is_visible() for i in range(3)] == [False, True, False]
        outline = page.eval_on_selector("label[for=__tabbed_1_2]", "e => getComputedStyle(e).outlineStyle")
        assert outline == "solid"
        # Numbered lines stack, one under the other (each line is its own box).
        lines = page.locator("pre.linenums span.line")
        tops = [lines.nth(i).bounding_box()["y"] for i in range(7)]
        assert tops == sorted(tops) and len(set(tops)) == 7, tops
        # Collapsible blocks open without a script too.
        details = page.locator("details.admonition.tip")
        assert not details.locator("p").is_visible()
        details.locator("summary").click()
        assert details.locator("p").is_visible()
        # Light and dark: the tabs' labels and code follow the scheme.
        colours[scheme] = page.eval_on_selector_all(
            ".tabbed-labels, label[for=__tabbed_1_2], pre.linenums, .code-title",
            "es => es.map(e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color])")
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"mkdocs-constructs-{scheme}.png"), full_page=True)
        context.close()
    assert all(light != dark for light, dark in zip(colours["light"], colours["dark"], strict=True)), colours
