"""The plugin author's tools: ``portal plugin new``, ``check`` and ``list``.

The scaffold is proven the way an author would use it: built into a wheel, installed with
the core's wheel into a fresh virtual environment, served over HTTP, and its own test run
there. ``check`` is run against deliberately broken plugins, one kind of problem each,
and ``list`` against a plugin that cannot even be imported. The plugins are real installed
distributions (``installed_plugin``: dist-info folders found through entry points).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import urllib.request
import venv
from pathlib import Path

import pytest

from portal.ops.cli import main as portal_command
from portal.testing import build_wheel, free_port, wait_for_http, write_ini

ROOT = Path(__file__).parents[1]


def run_portal(capsys, *argv):
    """``portal ARGV...`` in this process: (exit status, stdout lines, stderr)."""
    status = portal_command(list(argv))
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


# portal plugin new ---------------------------------------------------------------------


def copy_core(dest):
    """The core's source tree without the shared working tree's build artefacts, so this
    test's build never races another build of /work/main."""
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "development.ini", "production.ini"):
        shutil.copy2(ROOT / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "portal", dest / "portal", ignore=ignore)
    if (ROOT / "docs").is_dir():
        shutil.copytree(ROOT / "docs", dest / "docs", ignore=ignore)
    return dest


def dependency_site(dest, *requirements):
    """A folder of links to the installed distributions ``requirements`` need (their whole
    dependency closure, read from this environment's metadata), never the core or a plugin.

    Why: the fresh environment below must get the core's third-party dependencies without
    the network, and this environment already has them. ``--system-site-packages`` would
    not reach them (they live in a virtual environment, not in the system Python), and
    pointing at this environment's whole site-packages would also expose the core installed
    here and every plugin installed here. With only these links on its path, the core and
    the plugin can only come from the two wheels the test installs, which it checks."""
    import importlib.metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    dest.mkdir()
    seen, todo = set(), [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen.add(name)
        dist = importlib.metadata.distribution(req.name)
        for text in dist.requires or ():
            sub = Requirement(text)
            if sub.marker is None or sub.marker.evaluate({"extra": ""}):
                todo.append(sub)
        for file in dist.files or ():
            top = file.parts[0]
            if top in ("..", "__pycache__") or (dest / top).exists():
                continue
            (dest / top).symlink_to(dist.locate_file(top))
    assert not {"backend-portal"} & seen
    return dest


def wheel_requirements(wheel, extra):
    """The install requirements a wheel declares, with those of its ``extra``."""
    import email
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(archive.read(name))
    return [r.split(";")[0] for r in metadata.get_all("Requires-Dist", ())
            if "extra ==" not in r or f'extra == "{extra}"' in r]


@pytest.mark.slow
def test_a_new_plugin_builds_installs_serves_and_passes_its_own_test(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("PORTAL_")}
    # 1. The scaffold, through the real command.
    subprocess.run([sys.executable, "-m", "portal.ops.cli", "plugin", "new", "acme",
                    "--dir", str(tmp_path)], check=True, capture_output=True, env=env)
    plugin_dir = tmp_path / "portal-acme"
    assert (plugin_dir / "portal_acme" / "content" / "index.md").is_file()

    # 2. Wheels of the core and of the plugin, offline (no isolated build environment).
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (tmp_path / "core").mkdir()
    core_wheel = build_wheel(copy_core(tmp_path / "core"), wheels)
    plugin_wheel = build_wheel(plugin_dir, wheels)
    assert core_wheel.name.startswith("backend_portal-") and plugin_wheel.name == "portal_acme-0.1.0-py3-none-any.whl"

    # 3. A fresh virtual environment: its dependencies from this one (see dependency_site),
    #    the core and the plugin from their wheels, with no index.
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    python = target / "bin" / "python"
    deps = dependency_site(tmp_path / "deps", *wheel_requirements(core_wheel, "testkit"))
    (site_packages,) = (target / "lib").glob("python*/site-packages")
    (site_packages / "portal_test_dependencies.pth").write_text(
        f"import site; site.addsitedir({str(deps)!r})\n", encoding="utf-8")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-index", "--disable-pip-version-check",
                    "--find-links", str(wheels), "backend-portal", "portal-acme"],
                   check=True, capture_output=True, text=True, cwd=tmp_path, env=env)
    where = subprocess.run(
        [str(python), "-c", "import portal, portal_acme; print(portal.__file__); print(portal_acme.__file__)"],
        check=True, capture_output=True, text=True, cwd=tmp_path, env=env).stdout.split()
    assert all(path.startswith(str(site_packages)) for path in where), where

    # 4. Served over HTTP by waitress from that environment.
    port = free_port()
    ini = write_ini(tmp_path / "site.ini", port, f"sqlite:///{tmp_path / 'portal.sqlite'}")
    subprocess.run([str(target / "bin" / "portal"), "db", "upgrade", str(ini)],
                   check=True, capture_output=True, cwd=tmp_path, env=env)
    server = subprocess.Popen([str(python), "-m", "pyramid.scripts.pserve", str(ini)], cwd=tmp_path,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(base + "/-/plugins.json", process=server)
        with urllib.request.urlopen(base + "/-/plugins.json") as response:
            listing = json.load(response)
        (entry,) = listing["plugins"]  # nothing else is installed there
        assert (entry["name"], entry["distribution"], entry["version"], entry["status"]) == (
            "acme", "portal-acme", "0.1.0", "loaded")
        assert listing["api_version"] == 1
        with urllib.request.urlopen(base + "/acme/getting-started/") as response:
            page = response.read().decode()
        assert "<title>Getting started · Acme" in page
        assert re.search(r'src="../../-/static/acme/logo.svg\?v=[0-9a-f]{12}"', page)  # cache-busting
        with urllib.request.urlopen(base + "/-/static/acme/logo.svg") as response:
            assert response.headers["Content-Type"].startswith("image/svg+xml")
        with urllib.request.urlopen(base + "/") as response:
            assert f'href="http://127.0.0.1:{port}/acme/"' in response.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=10)

    # 5. The check its CI workflow runs, of the wheel as installed there, every page rendered.
    checked = subprocess.run([str(target / "bin" / "portal"), "plugin", "check", str(ini), "acme", "--render"],
                             capture_output=True, text=True, cwd=tmp_path, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"checked plugin 'acme' (portal-acme 0.1.0): the installed portal-acme 0.1.0 at {site_packages}" \
        in checked.stderr

    # 6. Its own tests pass there (alone), with the test kit the core's wheel installed.
    result = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(plugin_dir / "tests")], capture_output=True, text=True,
                            cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b4 passed\b", result.stdout), result.stdout


def test_new_refuses_a_name_that_cannot_be_a_section_and_an_occupied_folder(tmp_path, capsys):
    status, _, err = run_portal(capsys, "plugin", "new", "Acme Tools", "--dir", str(tmp_path))
    assert status == 2 and "'Acme Tools' cannot be a section name" in err
    status, _, err = run_portal(capsys, "plugin", "new", "api", "--dir", str(tmp_path))
    assert status == 2 and "'api' is reserved by the portal" in err
    (tmp_path / "portal-acme").mkdir()
    (tmp_path / "portal-acme" / "notes.txt").write_text("mine")
    status, _, err = run_portal(capsys, "plugin", "new", "acme", "--dir", str(tmp_path))
    assert status == 2 and "already exists and is not empty" in err
    assert (tmp_path / "portal-acme" / "notes.txt").read_text() == "mine"


def test_new_writes_a_pyproject_package_for_this_core_and_plugin_contract(tmp_path, capsys):
    import importlib.metadata
    import tomllib

    import yaml

    status, out, _ = run_portal(capsys, "plugin", "new", "acme-queues", "--dir", str(tmp_path),
                                "--title", "Acme queues")
    assert status == 0 and out[0].startswith(f"Created {tmp_path / 'portal-acme-queues'}")
    root = tmp_path / "portal-acme-queues"
    assert not (root / "setup.py").exists() and not (root / "MANIFEST.in").exists()
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    major, minor = importlib.metadata.version("backend-portal").split(".")[:2]
    assert project["dependencies"] == [f"backend-portal>={major}.{minor},<{int(major) + 1}"]
    assert project["optional-dependencies"]["test"] == [f"backend-portal[testkit]>={major}.{minor},<{int(major) + 1}"]
    assert project["entry-points"]["portal.plugins"] == {"acme-queues": "portal_acme_queues"}
    init = (root / "portal_acme_queues" / "__init__.py").read_text()
    assert 'PORTAL_API = "1.2"' in init and '"acme-queues",' in init and 'title="Acme queues"' in init
    assert (root / "portal_acme_queues" / "static" / "logo.svg").is_file()
    assert (root / ".gitignore").is_file()
    compile((root / "tests" / "test_section.py").read_text(), "test_section.py", "exec")
    # The CI workflow authors keep: tests, the wheel, and the check of the wheel installed.
    workflow = yaml.safe_load((root / ".github" / "workflows" / "test.yml").read_text())
    runs = [step.get("run", "") for step in workflow["jobs"]["test"]["steps"]]
    assert any("pytest" in run for run in runs) and any("python -m build" in run for run in runs)
    assert any("dist/*.whl" in run and "portal plugin check acme-queues --render" in run for run in runs)


def scaffold_site(tmp_path, name="acme"):
    """``portal plugin new NAME`` in ``tmp_path``, made importable and discoverable (a
    dist-info with its entry point, as ``pip install -e`` would leave): (plugin folder,
    folder for ``PYTHONPATH``)."""
    import tomllib

    assert portal_command(["plugin", "new", name, "--dir", str(tmp_path / "src")]) == 0
    plugin_dir = tmp_path / "src" / f"portal-{name}"
    project = tomllib.loads((plugin_dir / "pyproject.toml").read_text())["project"]
    site = tmp_path / "site"
    info = site / f"portal_{name}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(
        "[portal.plugins]\n" + "".join(f"{k} = {v}\n" for k, v in project["entry-points"]["portal.plugins"].items()))
    return plugin_dir, site


def test_the_scaffolds_own_tests_pass_in_the_portals_full_environment(tmp_path, capsys):
    """Next to every first-party plugin (what the docs recommend): its tests must not
    assume it is the only plugin installed ("too many values to unpack")."""
    plugin_dir, site = scaffold_site(tmp_path)
    capsys.readouterr()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(plugin_dir)])
    installed = subprocess.run([sys.executable, "-c", "from portal.plugins import discover; "
                                "print(len([ep for ep in discover()]))"],
                               capture_output=True, text=True, env=env, check=True)
    assert int(installed.stdout) >= 2, "the full environment has other plugins beside this one"
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(plugin_dir / "tests")], capture_output=True, text=True,
                            cwd=plugin_dir, env=env, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b4 passed\b", result.stdout), result.stdout


def test_the_scaffold_builds_without_setuptools_banners(tmp_path, capsys):
    plugin_dir, _ = scaffold_site(tmp_path)
    capsys.readouterr()
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "--wheel-dir", str(tmp_path / "dist"), "-v", str(plugin_dir)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    output = built.stdout + built.stderr
    assert "Package would be ignored" not in output and "SetuptoolsDeprecationWarning" not in output
    import zipfile

    (wheel,) = (tmp_path / "dist").glob("portal_acme-0.1.0-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {"portal_acme/content/index.md", "portal_acme/content/getting-started.md",
            "portal_acme/static/logo.svg"} <= set(names)
    assert not [n for n in names if n.startswith("tests/")]


# portal plugin check --------------------------------------------------------------------

GOOD = {
    "portal_good/__init__.py": """
        def includeme(config):
            config.add_portal_section("good", title="Good", content="portal_good:content")
    """,
    "portal_good/content/index.md": "---\ntitle: Good\n---\nSee [the page](page.md).\n",
    "portal_good/content/page.md": "---\ntitle: Page\n---\n```python\nprint('fine')\n```\n",
}


@pytest.fixture
def site_ini(tmp_path, monkeypatch):
    """A .ini limiting the portal to the plugins a test installs (``only``)."""
    monkeypatch.chdir(tmp_path)

    def make(*names):
        path = tmp_path / "site.ini"
        path.write_text("[app:main]\nuse = egg:backend-portal\n"
                        f"sqlalchemy.url = sqlite:///{tmp_path / 'portal.sqlite'}\n"
                        f"portal.plugins.only = {' '.join(names)}\n", encoding="utf-8")
        return str(path)

    return make


def check(capsys, ini, *names):
    status, out, err = run_portal(capsys, "plugin", "check", ini, *names)
    return status, out, err


def site_of(tmp_path):
    (site,) = tmp_path.glob("site-*")
    return site


def test_check_passes_a_sound_plugin(installed_plugin, site_ini, capsys):
    installed_plugin("good", GOOD)
    status, out, err = check(capsys, site_ini("good"))
    assert (status, out) == (0, [])
    assert "no problems in 1 plugin (good)" in err


def install_and_check(installed_plugin, site_ini, capsys, files, **kwargs):
    installed_plugin("good", GOOD)
    installed_plugin("broken", files, **kwargs)
    status, out, err = check(capsys, site_ini("good", "broken"))
    assert status == 1, out
    return out


def test_check_reports_an_entry_point_that_does_not_resolve(installed_plugin, site_ini, capsys, tmp_path):
    out = install_and_check(installed_plugin, site_ini, capsys, {}, entry_point="portal_nowhere")
    entry_points = site_of(tmp_path) / "portal_broken-1.0.dist-info" / "entry_points.txt"
    assert out == [f"{entry_points}:2: plugin 'broken' (portal-broken 1.0): cannot be imported "
                   "(portal_nowhere): ModuleNotFoundError: No module named 'portal_nowhere'"]


def test_check_reports_a_module_that_cannot_be_imported_at_its_line(installed_plugin, site_ini, capsys, tmp_path):
    out = install_and_check(installed_plugin, site_ini, capsys, {
        "portal_broken/__init__.py": "import os\n\ndef includeme(config)\n    pass\n",
    })
    (line,) = out
    assert line.startswith(f"{site_of(tmp_path)}/portal_broken/__init__.py:3: plugin 'broken' "
                           "(portal-broken 1.0): cannot be imported (portal_broken): SyntaxError:")


def test_check_runs_includeme_and_reports_where_it_failed(installed_plugin, site_ini, capsys, tmp_path):
    out = install_and_check(installed_plugin, site_ini, capsys, {
        "portal_broken/__init__.py": """
            def includeme(config):
                load_widgets()

            def load_widgets():
                raise RuntimeError("widget catalogue is empty")
        """,
    })
    assert out == [f"{site_of(tmp_path)}/portal_broken/__init__.py:6: plugin 'broken' (portal-broken 1.0): "
                   "includeme failed: RuntimeError: widget catalogue is empty"]


def test_check_reports_a_missing_content_folder_at_the_section_declaration(
    installed_plugin, site_ini, capsys, tmp_path
):
    out = install_and_check(installed_plugin, site_ini, capsys, {
        "portal_broken/__init__.py": """
            def includeme(config):
                config.add_portal_section(
                    "broken", title="Broken", content="portal_broken:content")
        """,
    })
    (line,) = out
    assert line.startswith(f"{site_of(tmp_path)}/portal_broken/__init__.py:3: plugin 'broken' "
                           "(portal-broken 1.0): includeme failed: section 'broken': content folder ")
    assert line.endswith("does not exist")


SECTION = """
    def includeme(config):
        config.add_portal_section("broken", title="Broken", content="portal_broken:content")
"""


def test_check_reports_every_invalid_front_matter_with_its_line(installed_plugin, site_ini, capsys, tmp_path):
    out = install_and_check(installed_plugin, site_ini, capsys, {
        "portal_broken/__init__.py": SECTION,
        "portal_broken/content/index.md": "---\ntitle: Broken\n---\nLanding.\n",
        "portal_broken/content/one.md": "---\ntitle: One\norder: first\n---\nText.\n",
        "portal_broken/content/two.md": "---\ntitle: [Two\n---\nText.\n",
    })
    content = site_of(tmp_path) / "portal_broken" / "content"
    assert out == [
        f"{content}/one.md:3: plugin 'broken' (portal-broken 1.0): invalid front matter: 'order' must be int, got str",
        f"{content}/two.md:2: plugin 'broken' (portal-broken 1.0): invalid front matter: "
        "expected ',' or ']', but got '<stream end>'",
    ]


def test_check_reports_broken_links_and_python_that_does_not_compile(installed_plugin, site_ini, capsys, tmp_path):
    out = install_and_check(installed_plugin, site_ini, capsys, {
        "portal_broken/__init__.py": SECTION,
        "portal_broken/content/index.md": (
            "---\ntitle: Broken\n---\n"
            "Read [the guide](guide.md) first,\n"          # line 4: no such page
            "then [setup](setup.md#install).\n"             # line 5: no such heading
            "See also [Good](/good/page.md) and\n"          # line 6: fine
            "[Gone](/good/gone.md) and [Nowhere](/nowhere/).\n"  # line 7: two broken
        ),
        "portal_broken/content/setup.md": (
            "---\ntitle: Setup\n---\n## Configure\n\n"
            "```python\n"                                   # line 6
            "def handler(event):\n"
            "    return event.value\n"
            "print(handler(\n"                              # line 9: never closed
            "```\n\n"
            "```python runnable\n>>> 1 + 1\n2\n```\n"       # line 13: a session, not a module
            "```console\n$ portal plugin check\n```\n"      # not Python: not compiled
        ),
    })
    content = site_of(tmp_path) / "portal_broken" / "content"
    label = "plugin 'broken' (portal-broken 1.0)"
    assert sorted(out) == sorted([
        f"{content}/index.md:4: broken link 'guide.md': no page guide.md",
        f"{content}/index.md:5: broken link setup.md#install: no heading with that id",
        f"{content}/index.md:7: broken link '/good/gone.md': no page /good/gone/ in section 'good'",
        f"{content}/index.md:7: broken link '/nowhere/': no section 'nowhere' is installed in this portal",
        f"{content}/setup.md:9: python block does not compile: '(' was never closed",
        f"{content}/setup.md:13: python block does not compile: invalid syntax "
        "(mark shell sessions ```console, interactive ones ```pycon)",
    ])
    assert all(label not in line for line in out)  # located in the content, not the loader


def test_check_reports_a_section_name_that_is_not_free(installed_plugin, site_ini, capsys, tmp_path):
    installed_plugin("good", GOOD)
    installed_plugin("copycat", {
        "portal_copycat/__init__.py": """
            def includeme(config):
                config.add_portal_section("good", title="Good too", content="portal_copycat:content")
        """,
        "portal_copycat/content/index.md": "# Good too\n",
    })
    installed_plugin("grabby", {
        "portal_grabby/__init__.py": """
            def includeme(config):
                config.add_portal_section("search", title="Search", content="portal_grabby:content")
        """,
        "portal_grabby/content/index.md": "# Search\n",
    })
    status, out, _ = check(capsys, site_ini("good", "copycat", "grabby"), "copycat", "grabby")
    assert status == 1
    copycat, grabby = out
    site = site_of(tmp_path)
    assert copycat.startswith(f"{site}/portal_copycat/__init__.py:3: plugin 'copycat' (portal-copycat 1.0): "
                              "section 'good' is also claimed by plugin 'good' (portal-good 1.0)")
    assert f"{site}/portal_good/__init__.py:3" in copycat  # where the other claim is
    assert "choose the owner with portal.plugins.owners" in copycat
    assert grabby == (f"{site}/portal_grabby/__init__.py:3: plugin 'grabby' (portal-grabby 1.0): "
                      "includeme failed: section name 'search' is reserved by the portal")


def test_check_reports_an_unsupported_plugin_api_and_a_template_that_does_not_parse(
    installed_plugin, site_ini, capsys, tmp_path
):
    installed_plugin("future", {
        "portal_future/__init__.py": '"""From the future."""\n\nPORTAL_API = (2,)\n' + textwrap.dedent(SECTION),
    })
    installed_plugin("themed", {
        "portal_themed/__init__.py": """
            def includeme(config):
                config.add_portal_templates("portal_themed:templates")
        """,
        "portal_themed/templates/page.jinja2": "{% extends 'portal:templates/page.jinja2' %}\n"
                                               "{% block doc_tools %}{{ page.title }{% endblock %}\n",
    })
    status, out, _ = check(capsys, site_ini("future", "themed"))
    site = site_of(tmp_path)
    assert status == 1
    assert out == [
        f"{site}/portal_future/__init__.py:3: plugin 'future' (portal-future 1.0): supports plugin API "
        "version 2, but this portal speaks version 1: install a release of the plugin made for plugin "
        "API 1, or a portal that speaks its version",
        f"{site}/portal_themed/templates/page.jinja2:2: plugin 'themed' (portal-themed 1.0): "
        "template syntax error: unexpected '}'",
    ]


def test_check_of_an_unknown_name_says_what_is_installed(installed_plugin, site_ini, capsys):
    installed_plugin("good", GOOD)
    status, out, err = check(capsys, site_ini("good"), "goood")
    assert status == 2 and out == []
    assert "no installed plugin is named 'goood'" in err and "good" in err


def test_check_checks_a_plugin_the_site_disables_when_asked_by_name(installed_plugin, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    installed_plugin("good", GOOD)
    installed_plugin("broken", {"portal_broken/__init__.py": "def includeme(config):\n    1 / 0\n"})
    ini = tmp_path / "site.ini"
    ini.write_text("[app:main]\nuse = egg:backend-portal\nportal.plugins.only = good broken\n"
                   "portal.plugins.disabled = broken\nportal.plugins.strict = true\n")
    status, out, _ = check(capsys, str(ini), "broken")
    assert status == 1
    assert out == [f"{site_of(tmp_path)}/portal_broken/__init__.py:2: plugin 'broken' (portal-broken 1.0): "
                   "includeme failed: ZeroDivisionError: division by zero"]


# portal plugin list ---------------------------------------------------------------------


def test_list_survives_a_plugin_whose_import_fails(installed_plugin, site_ini, capsys):
    installed_plugin("good", GOOD)
    installed_plugin("broken", {"portal_broken/__init__.py": "import sys\nsys.exit('no config file')\n"},
                     version="2.5")
    installed_plugin("off", {"portal_off/__init__.py": "raise ImportError('never imported')\n"})
    ini = site_ini("good", "broken")  # "off" is left out by the site
    status, out, err = run_portal(capsys, "plugin", "list", ini)
    assert status == 0
    table = [re.split(r"\s{2,}", line.strip()) for line in out]
    assert table[0] == ["PLUGIN", "DISTRIBUTION", "VERSION", "STATUS", "SECTIONS"]
    rows = {row[0]: row for row in table[1:] if len(row) == 5}
    assert rows["good"] == ["good", "portal-good", "1.0", "loaded", "good"]
    assert rows["broken"] == ["broken", "portal-broken", "2.5", "failed", "-"]
    assert rows["off"] == ["off", "portal-off", "1.0", "disabled", "-"]
    assert "cannot be imported (portal_broken): SystemExit: no config file" in "\n".join(out)

    status, out, _ = run_portal(capsys, "plugin", "list", ini, "--requirements")
    assert (status, out) == (0, ["portal-good==1.0"])


def test_list_reads_the_metadata_even_when_the_portal_cannot_be_built(installed_plugin, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    installed_plugin("good", GOOD)
    ini = tmp_path / "bad.ini"
    ini.write_text("[app:main]\nuse = egg:backend-portal\nportal.comments.moderation = sometimes\n"
                   "portal.plugins.only = good\n")
    status, out, err = run_portal(capsys, "plugin", "list", str(ini))
    assert status == 0
    assert "the portal cannot be built" in err and "statuses unknown" in err
    assert any(re.split(r"\s{2,}", line.strip()) == ["good", "portal-good", "1.0", "unknown", "-"]
               for line in out)


# portal plugin check: which copy, --source, --render, the plugin's own problems first -----


def test_check_says_which_copy_it_checked(installed_plugin, site_ini, capsys, tmp_path):
    installed_plugin("good", GOOD)
    status, _, err = check(capsys, site_ini("good"), "good")
    assert status == 0
    assert (f"checked plugin 'good' (portal-good 1.0): the installed portal-good 1.0 at "
            f"{site_of(tmp_path)}/portal_good (use --source DIR to check the tree you are editing)") in err


def test_check_source_checks_the_tree_being_edited_not_the_installed_copy(installed_plugin, site_ini,
                                                                          capsys, tmp_path):
    installed_plugin("good", GOOD)  # the installed copy has no problem
    tree = tmp_path / "work" / "portal-good"
    (tree / "portal_good" / "content").mkdir(parents=True)
    (tree / "pyproject.toml").write_text(textwrap.dedent("""
        [project]
        name = "portal-good"
        version = "1.1.dev0"

        [project.entry-points."portal.plugins"]
        good = "portal_good"
    """))
    (tree / "portal_good" / "__init__.py").write_text(textwrap.dedent(GOOD["portal_good/__init__.py"]))
    (tree / "portal_good" / "content" / "index.md").write_text("---\ntitle: Good\n---\nSee [setup](setup.md).\n")
    status, out, err = run_portal(capsys, "plugin", "check", site_ini("good"), "--source", str(tree))
    assert status == 1
    assert out == [f"{tree}/portal_good/content/index.md:4: broken link 'setup.md': no page setup.md"]
    assert (f"checked plugin 'good' (portal-good 1.1.dev0): the source tree {tree} (imported from "
            f"{tree}/portal_good), not an installed copy") in err
    import portal_good  # afterwards, the installed copy is the one imported again

    assert portal_good.__file__.startswith(str(site_of(tmp_path)))
    status, _, err = run_portal(capsys, "plugin", "check", "--source", str(tmp_path))
    assert status == 2 and "has no pyproject.toml" in err


def test_check_render_requests_every_page_and_named_view_through_the_real_app(
    installed_plugin, site_ini, capsys, tmp_path
):
    installed_plugin("good", {
        **GOOD,
        "portal_good/__init__.py": """
            from portal.resources import Page, Section

            def stats(context, request):
                return {"pages": len(context.section.documents)}

            def printable(context, request):
                raise RuntimeError("print stylesheet missing")

            def includeme(config):
                config.add_portal_section("good", title="Good", content="portal_good:content")
                config.add_view(stats, context=Section, name="stats", section="good", renderer="json")
                config.add_view(printable, context=Page, name="print", section="good", renderer="string")
        """,
    })
    status, out, _ = check(capsys, site_ini("good"), "good")
    assert status == 0  # nothing wrong that can be seen without asking
    status, out, _ = run_portal(capsys, "plugin", "check", site_ini("good"), "good", "--render")
    assert status == 1
    assert out == [f"{site_of(tmp_path)}/portal_good/__init__.py:13: plugin 'good' (portal-good 1.0): "
                   "view portal_good.printable: GET /good/page/@@print answered 503 Service Unavailable"]


def test_check_lists_the_plugins_own_problems_first_then_what_others_break_in_it(
    installed_plugin, site_ini, capsys, tmp_path
):
    installed_plugin("good", GOOD)
    installed_plugin("other", {
        "portal_other/__init__.py": """
            def includeme(config):
                config.add_portal_section("other", title="Other", content="portal_other:content")
        """,
        "portal_other/content/index.md": "---\ntitle: Other\n---\n[Gone](/good/gone.md) and [Bad](nowhere.md).\n",
    })
    installed_plugin("broken", {
        "portal_broken/__init__.py": SECTION,
        "portal_broken/content/index.md": "---\ntitle: Broken\nsumary: typo\n---\nText.\n",
    })
    status, out, err = check(capsys, site_ini("good", "other", "broken"), "broken", "good")
    assert status == 1
    site = site_of(tmp_path)
    assert out == [
        f"{site}/portal_broken/content/index.md:3: unknown front matter key 'sumary' (did you mean 'summary'?)",
        f"{site}/portal_other/content/index.md:4: broken link '/good/gone.md': no page /good/gone/ in section 'good'",
    ]  # other's own broken link (nowhere.md) is not good's business
    assert "1 problem of other plugins concerns these sections (listed last)" in err
