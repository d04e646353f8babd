"""Worked examples as tested projects (portal.examples, docs/examples.md).

Two halves. The harness itself, on small pages written here: file blocks become files
(replaced, appended to, never written outside the project), malformed pages are reported
with their file and line, commands run with a time limit in a process group that is
stopped afterwards, services are fresh, the command-line tool builds and reuses cached
environments. Then every installed section that declares examples, run for real
(``examples`` marker, required in CI like ``postgresql`` and ``browser``): each example
page assembled from its Markdown, in an environment with exactly the section's
``tested_with`` versions, against the machine's PostgreSQL and Redis.
"""

import http.server
import json
import os
import select
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from portal.content import load_folder
from portal.examples import ExampleError, assemble, declared_versions, example_of, parse_info
from portal.examples.environments import (
    MARKER,
    Environment,
    Interpreter,
    InterpreterMissing,
    ensure_environment,
    environment_key,
    find_python,
    prune,
)
from portal.examples.freshness import Release, behind, releases
from portal.examples.runner import (
    Harness,
    collect,
    example_environ,
    installed_sections,
    read_summary,
    run_example,
    section_examples,
)
from portal.examples.services import (
    DEFAULT_POSTGRESQL,
    DEFAULT_REDIS,
    RedisConnection,
    ServiceUnavailable,
    check_redis,
    libpq_url,
    postgresql_database,
    redis_database,
)
from portal.examples.versions import DEFAULT_PYTHON
from portal.ops.cli import main as portal_command


def require(reason):
    """tests/conftest.py's rule: skip here, fail in CI."""
    sys.modules["tests.conftest"].require(reason)


def server_url():
    return libpq_url(os.environ.get("PORTAL_TEST_POSTGRES_URL", DEFAULT_POSTGRESQL))


def load_page(tmp_path, text, index="# Demo\n"):
    """The ``Document`` of ``page.md`` (front matter and fences as an author writes them)."""
    content = tmp_path / "content"
    content.mkdir(parents=True, exist_ok=True)
    (content / "index.md").write_text(textwrap.dedent(index), encoding="utf-8")
    (content / "page.md").write_text(textwrap.dedent(text), encoding="utf-8")
    root = load_folder(content, "demo")
    return root, next(d for d in root.children if d.path == ("page",))


def this_environment():
    """The portal's own virtual environment (it has pytest and psycopg), standing in for a
    section's: what ``run_example`` does with an environment does not depend on its pins."""
    version = ".".join(map(str, sys.version_info[:3]))
    return Environment(Path(sys.prefix), Interpreter(sys.executable, version))


def gone(pid, within=10.0):
    """Whether process ``pid`` ends within ``within`` seconds (SIGKILL is delivered
    asynchronously). A pidfd becomes readable when the process exits (a zombie waiting for
    its parent to read its status has exited), so this waits on the kernel, not a clock."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], within)[0])
    finally:
        os.close(fd)


# -- the page: fences, front matter -------------------------------------------------------

PAGE = '''\
---
title: Page
example:
  setup:
    - printf 'A = 1' > settings.py
  run: python -m pytest -q
---
# Page

```python file="app/models.py"
FIRST = True
```

```python
print("not a file of the project")
```

```python file="settings.py" mode="append"
B = 2
```

```python file="app/models.py"
SECOND = True
```
'''


def test_a_later_block_replaces_the_file_and_append_adds_to_what_setup_made(tmp_path):
    _, doc = load_page(tmp_path, PAGE)
    example = example_of(doc, "demo")
    assert [(f.path, f.mode) for f in example.files] == [
        ("app/models.py", "replace"), ("settings.py", "append"), ("app/models.py", "replace")]
    assert example.setup == ("printf 'A = 1' > settings.py",)
    project = tmp_path / "project"
    project.mkdir()
    (project / "settings.py").write_text("A = 1")  # what the setup command writes
    assemble(example, project)
    assert (project / "app" / "models.py").read_text() == "SECOND = True\n"
    assert (project / "settings.py").read_text() == "A = 1\nB = 2\n"
    assert sorted(p.name for p in project.rglob("*") if p.is_file()) == ["models.py", "settings.py"]


def test_appending_to_a_file_no_setup_made_names_the_page_and_line(tmp_path):
    _, doc = load_page(tmp_path, PAGE.replace("  setup:\n    - printf 'A = 1' > settings.py\n", ""))
    example = example_of(doc, "demo")
    assert example.setup == ()
    project = tmp_path / "project"
    project.mkdir()
    with pytest.raises(ExampleError) as caught:
        assemble(example, project)
    line = next(f.line for f in example.files if f.mode == "append")
    assert str(caught.value).startswith(f"{doc.source}:{line}: ")
    assert "neither the example's setup nor an earlier block created" in str(caught.value)


@pytest.mark.parametrize("path", ["../outside.py", "/etc/outside.py", "app/../../outside.py",
                                  "~/outside.py", "app/"])
def test_paths_outside_the_project_are_refused_with_page_and_line(tmp_path, path):
    _, doc = load_page(tmp_path, f'''\
        ---
        example:
          run: python -m pytest -q
        ---
        # Page

        ```python file="{path}"
        import os
        ```
        ''')
    with pytest.raises(ExampleError) as caught:
        example_of(doc, "demo")
    assert str(caught.value).startswith(f"{doc.source}:7: code block: file=")


def test_a_symbolic_link_out_of_the_project_is_not_followed(tmp_path):
    _, doc = load_page(tmp_path, '''\
        ---
        example:
          setup: ln -s ../outside escape
        ---
        # Page

        ```python file="escape/evil.py"
        EVIL = True
        ```
        ''')
    example = example_of(doc, "demo")
    outside = tmp_path / "outside"
    outside.mkdir()
    project = tmp_path / "project"
    project.mkdir()
    (project / "escape").symlink_to(outside)  # what the setup command makes
    with pytest.raises(ExampleError) as caught:
        assemble(example, project)
    assert f"{doc.source}:7: " in str(caught.value)
    assert "outside the project folder" in str(caught.value)
    assert list(outside.iterdir()) == []


def test_every_problem_of_a_page_is_reported_at_once_with_its_line(tmp_path):
    _, doc = load_page(tmp_path, '''\
        ---
        example:
          run: python -m pytest -q
          servces: [redis]
          services: [postgresql, mysql]
        ---
        # Page

        ```python file="unclosed.py
        ```

        ```python file="a.py" mode="prepend"
        ```

        ```python mode="append"
        ```
        ''')
    with pytest.raises(ExampleError) as caught:
        example_of(doc, "demo")
    problems = caught.value.problems
    assert [p.line for p in problems] == [4, 5, 9, 12, 15]
    assert "unknown key 'servces'" in problems[0].message
    assert "unknown service 'mysql'" in problems[1].message
    assert "unclosed quote" in problems[2].message
    assert 'mode="prepend" is not one of replace, append' in problems[3].message
    assert 'needs file="path"' in problems[4].message


def test_an_example_with_neither_files_nor_setup_is_refused(tmp_path):
    _, doc = load_page(tmp_path, "---\nexample:\n  run: python -m pytest -q\n---\n# Page\n")
    with pytest.raises(ExampleError, match="no code block with file=.* and no setup"):
        example_of(doc, "demo")


def test_info_strings_keep_bare_words_out_and_read_both_quotes():
    assert parse_info('python runnable file="a b.py"') == {"file": "a b.py"}
    assert parse_info("yaml file='k8s/x.yaml' mode=append") == {"file": "k8s/x.yaml", "mode": "append"}
    with pytest.raises(ValueError, match="given twice"):
        parse_info('python file="a.py" file="b.py"')
    with pytest.raises(ValueError, match="is not key="):
        parse_info('python file=')


# -- tested_with --------------------------------------------------------------------------

def index_of(tmp_path, front_matter):
    root, _ = load_page(tmp_path, "# Page\n", index=f"---\n{front_matter}---\n# Demo\n")
    return root


def test_a_list_of_versions_gives_one_pin_set_per_version(tmp_path):
    root = index_of(tmp_path, textwrap.dedent('''\
        tested_with:
          python: "3.12"
          Django: ["5.2.19", "6.1.3"]
          pytest: "9.2.0"
        '''))
    declared = declared_versions("demo", root)
    sets = declared.pin_sets()
    assert [s.label for s in sets] == ["Django 5.2.19", "Django 6.1.3"]
    assert sets[1].requirements == ["Django==6.1.3", "pytest==9.2.0"]
    assert {s.python for s in sets} == {"3.12"}


def test_python_defaults_to_the_baseline_and_versions_must_be_exact_strings(tmp_path):
    declared = declared_versions("demo", index_of(tmp_path, 'tested_with:\n  tornado: "6.6.1"\n'))
    assert declared.python == DEFAULT_PYTHON == "3.11"
    assert declared.pin_sets()[0].label == "Python 3.11"
    bad = index_of(tmp_path / "bad", 'tested_with:\n  python: 3.10\n  flask: ">=3"\n  x: 24.10\n')
    with pytest.raises(ExampleError) as caught:
        declared_versions("demo", bad)
    messages = [p.message for p in caught.value.problems]
    assert [p.line for p in caught.value.problems] == [3, 4, 5]
    assert "unquoted 3.10 as 3.1" in messages[0]
    assert "needs exact versions" in messages[1]
    assert "quote versions" in messages[2]



def test_the_summary_of_pytest_and_of_djangos_test_runner_is_read():
    assert read_summary("....\n4 passed, 1 skipped, 2 warnings in 1.20s\n") == (
        4, "4 passed, 1 skipped, 2 warnings in 1.20s")
    assert read_summary("==== 1 failed, 8 passed in 2.01s ====\n") == (8, "1 failed, 8 passed in 2.01s")
    django = "Creating test database...\n.....\n------\nRan 9 tests in 0.412s\n\nOK (skipped=1)\n"
    assert read_summary(django) == (8, "Ran 9 tests: OK (skipped=1)")
    failed = "Ran 5 tests in 0.1s\n\nFAILED (failures=1, errors=1)\n"
    assert read_summary(failed) == (3, "Ran 5 tests: FAILED (failures=1, errors=1)")
    assert read_summary("Traceback (most recent call last):\n") == (None, "")


def test_a_section_with_examples_but_no_tested_with_runs_nothing_and_says_why(tmp_path):
    from portal.resources import Section

    root, _ = load_page(tmp_path, PAGE)
    plan = section_examples(Section("demo", root, title="Demo", summary="", order=0))
    assert [e.page for e in plan.examples] == ["page.md"]
    (problem,) = plan.problems
    assert problem.startswith(f"{root.source}:1: section 'demo' has 1 example page(s) (page.md) but no tested_with")
    with Harness(cache=tmp_path / "cache") as harness:
        (result,) = harness.run(plan)
    assert (result.status, result.message) == ("error", problem)
    assert not (tmp_path / "cache").exists()

# -- running: commands, time limits, services ---------------------------------------------

def write_example(tmp_path, *, run="python -m pytest -q", services=(), test="", setup=()):
    spec = {"setup": list(setup), "run": run, "services": list(services)}
    text = (f"---\nexample: {json.dumps(spec)}\n---\n# Page\n\n"
            f'```python file="tests/test_it.py"\n{textwrap.dedent(test)}```\n')
    _, doc = load_page(tmp_path, text)
    return example_of(doc, "demo")


def test_an_example_runs_its_tests_and_its_summary_is_read(tmp_path):
    example = write_example(tmp_path, setup=["mkdir -p tests && touch tests/__init__.py"], test='''
        import os

        def test_runs_in_the_section_environment():
            assert os.environ["VIRTUAL_ENV"] == os.path.dirname(os.path.dirname(__import__("sys").executable))

        def test_the_harness_options_do_not_leak_in():
            assert "PYTEST_ADDOPTS" not in os.environ and "DATABASE_URL" not in os.environ
    ''')
    os.environ["PYTEST_ADDOPTS"] = "--this-option-does-not-exist"
    try:
        result = run_example(example, this_environment(), "label")
    finally:
        del os.environ["PYTEST_ADDOPTS"]
    assert result.status == "passed", result.output
    assert result.passed == 2 and result.summary.startswith("2 passed")
    assert "$ mkdir -p tests" in result.output


def test_a_failing_example_says_which_page_and_command_and_keeps_the_output(tmp_path):
    example = write_example(tmp_path, test="def test_fails():\n    assert 1 + 1 == 3\n")
    result = run_example(example, this_environment())
    assert result.status == "failed"
    assert result.message == f"{example.source}: the run command `python -m pytest -q` exited with status 1"
    assert "assert (1 + 1) == 3" in result.output
    assert result.passed == 0 and result.summary.startswith("1 failed")


def test_a_slow_example_is_stopped_with_everything_it_started(tmp_path):
    example = write_example(tmp_path, run="sleep 300 & echo $! > sleeper.pid; wait")
    started = time.monotonic()
    result = run_example(example, this_environment(), timeout=2, keep=True)
    assert time.monotonic() - started < 30
    assert result.status == "timeout"
    assert "did not finish within 2s" in result.message
    assert gone(int((Path(result.folder) / "sleeper.pid").read_text()))


def test_what_an_example_leaves_running_is_stopped(tmp_path):
    example = write_example(tmp_path, run="sleep 300 > /dev/null & echo $! > sleeper.pid")
    result = run_example(example, this_environment(), keep=True)
    assert result.status == "passed"
    assert result.seconds < 30
    assert gone(int((Path(result.folder) / "sleeper.pid").read_text()))


def test_the_examples_environment_puts_the_section_first_and_drops_the_callers():
    env = example_environ(this_environment(), {"REDIS_URL": "redis://127.0.0.1:6379/9"}, base={
        "PATH": "/usr/bin", "HOME": "/root", "VIRTUAL_ENV": "/elsewhere", "PYTHONPATH": "/x",
        "PYTEST_ADDOPTS": "-x", "DATABASE_URL": "sqlite://", "DJANGO_SETTINGS_MODULE": "portal"})
    assert env == {"PATH": f"{sys.prefix}/bin:/usr/bin", "HOME": "/root", "VIRTUAL_ENV": sys.prefix,
                   "REDIS_URL": "redis://127.0.0.1:6379/9"}


@pytest.mark.postgresql
def test_each_run_gets_a_fresh_postgresql_database_dropped_afterwards(tmp_path):
    try:
        with postgresql_database(server_url()):
            pass
    except ServiceUnavailable as exc:
        require(str(exc))
    example = write_example(tmp_path, services=["postgresql"], test='''
        import os
        import psycopg

        def test_a_new_empty_database_in_libpq_form():
            url = os.environ["DATABASE_URL"]
            assert url.startswith("postgresql://") and "+" not in url.split(":")[0]
            with psycopg.connect(url) as conn:
                assert conn.execute("select current_database()").fetchone()[0].startswith("portal_example_demo_")
                assert conn.execute("select count(*) from pg_tables where schemaname = 'public'").fetchone() == (0,)
                conn.execute("create table leftover (id int)")
            (__import__("pathlib").Path(__file__).parent / "url.txt").write_text(url)
    ''')
    result = run_example(example, this_environment(), postgresql=server_url(), keep=True)
    assert result.status == "passed", result.output
    import psycopg

    name = (Path(result.folder) / "tests" / "url.txt").read_text().rsplit("/", 1)[1]
    with psycopg.connect(server_url()) as conn:
        assert conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone() is None


def redis_or_skip():
    try:
        check_redis(DEFAULT_REDIS)
    except ServiceUnavailable as exc:
        require(str(exc))


def test_concurrent_runs_get_different_redis_databases_never_zero(tmp_path):
    redis_or_skip()
    with redis_database(lock_dir=tmp_path) as first, redis_database(lock_dir=tmp_path) as second:
        numbers = {int(first.rsplit("/", 1)[1]), int(second.rsplit("/", 1)[1])}
        assert len(numbers) == 2 and 0 not in numbers


def test_a_redis_database_is_emptied_before_and_after_the_run(tmp_path):
    redis_or_skip()
    with redis_database(lock_dir=tmp_path) as url:
        number = int(url.rsplit("/", 1)[1])
    conn = RedisConnection(DEFAULT_REDIS)
    try:
        conn.command("SELECT", number)
        conn.command("SET", "left-by-a-crashed-run", "1")
        with redis_database(lock_dir=tmp_path, numbers=[number]) as url:
            assert url == f"redis://127.0.0.1:6379/{number}"
            conn.command("SELECT", number)
            assert conn.command("DBSIZE") == 0
            conn.command("SET", "written-by-the-example", "1")
        assert conn.command("DBSIZE") == 0
    finally:
        conn.close()


# -- environments -------------------------------------------------------------------------

def test_a_missing_interpreter_is_named_with_where_it_was_looked_for(tmp_path):
    with pytest.raises(InterpreterMissing) as caught:
        find_python("3.99", declared_in=tmp_path / "index.md")
    message = str(caught.value)
    assert message.startswith(f"Python 3.99 is declared (tested_with: python in {tmp_path}/index.md)")
    assert "python3.99 on PATH and under pyenv" in message


@pytest.mark.slow
def test_an_environment_is_built_once_then_taken_from_the_cache(tmp_path):
    index = index_of(tmp_path, "tested_with:\n  python: \"3.11\"\n")
    (pin_set,) = declared_versions("demo", index).pin_sets()
    built = ensure_environment("demo", pin_set, tmp_path / "cache")
    assert built.built and (built.bin / "python").exists()
    again = ensure_environment("demo", pin_set, tmp_path / "cache")
    assert (again.path, again.built) == (built.path, False)
    assert json.loads((built.path / MARKER).read_text())["version"].startswith("3.11.")
    (built.path / MARKER).unlink()  # as if the build had been interrupted
    assert ensure_environment("demo", pin_set, tmp_path / "cache").built
    old = time.time() - 40 * 86400
    os.utime(built.path / MARKER, (old, old))
    assert prune(tmp_path / "cache") == [built.path]
    assert not built.path.exists()


def test_the_cache_key_changes_with_the_section_the_interpreter_and_the_pins():
    python = Interpreter("/usr/bin/python3.12", "3.12.1")
    key = environment_key("django", python, ["Django==6.1.3", "pytest==9.2.0"])
    assert key == environment_key("django", python, ["pytest==9.2.0", "Django==6.1.3"])
    assert len({key, environment_key("celery", python, ["Django==6.1.3", "pytest==9.2.0"]),
                environment_key("django", Interpreter("/usr/bin/python3.12", "3.12.2"),
                                ["Django==6.1.3", "pytest==9.2.0"]),
                environment_key("django", python, ["Django==6.1.4", "pytest==9.2.0"])}) == 4


# -- the command --------------------------------------------------------------------------

def plugin_files(check):
    return {
        "portal_exdemo/__init__.py": """
            def includeme(config):
                config.add_portal_section("exdemo", title="Examples demo",
                                          content="portal_exdemo:content", summary="Examples.")
        """,
        "portal_exdemo/content/index.md": """\
            ---
            title: Examples demo
            summary: A section with one worked example.
            tested_with:
              python: "3.11"
            ---
            The section.
        """,
        "portal_exdemo/content/hello.md": f"""\
            ---
            title: Hello
            summary: A worked example.
            example:
              setup: printf 'GREETING = "hello"' > settings.py
              run: python check.py
            ---
            A project of two files.

            ```python file="settings.py" mode="append"
            NAME = "portal"
            ```

            ```python file="check.py"
            import settings
            {check}
            print("checked", settings.GREETING, settings.NAME)
            ```
        """,
    }


@pytest.fixture(scope="module")
def example_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("examples-cache")


@pytest.mark.slow
def test_portal_examples_run_builds_runs_and_sums_up(installed_plugin, example_cache, capsys):
    installed_plugin("exdemo", plugin_files('assert settings.GREETING == "hello"'))
    status = portal_command(["examples", "run", "exdemo", "--cache", str(example_cache)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "environment built in" in out
    assert "passed      hello.md" in out
    assert out.splitlines()[-1].split()[:3] == ["total", "1", "1"]


@pytest.mark.slow
def test_portal_examples_run_fails_naming_the_page_and_shows_the_output(installed_plugin, example_cache,
                                                                        capsys):
    installed_plugin("exdemo", plugin_files('assert settings.GREETING == "bonjour", settings.GREETING'))
    status = portal_command(["examples", "run", "exdemo", "--cache", str(example_cache)])
    out, err = capsys.readouterr()
    assert status == 1
    assert "FAILED      hello.md" in out
    assert "hello.md: the run command `python check.py` exited with status 1" in out
    assert "| AssertionError: hello" in out
    assert "exdemo/hello.md Python 3.11: failed" in err


def test_portal_examples_run_names_the_sections_it_knows(capsys):
    assert portal_command(["examples", "run", "no-such-section"]) == 2
    err = capsys.readouterr().err
    assert "no installed section is named 'no-such-section'" in err


# -- freshness ----------------------------------------------------------------------------

def test_behind_compares_the_newest_version_with_the_newest_release_and_the_others_with_their_line(
        tmp_path):
    from packaging.version import Version

    declared = declared_versions("demo", index_of(tmp_path, textwrap.dedent('''\
        tested_with:
          python: "3.11"
          Django: ["5.2.18", "6.1.3"]
          tornado: "6.6.1"
          fastapi: "0.165.0"
        ''')))
    known = {
        "Django": [Release(Version(v), ">=3.12") for v in ("5.2.18", "5.2.19", "6.1.3", "6.2")],
        "tornado": [Release(Version("6.6.1"), ">=3.9")],
        "fastapi": [Release(Version("0.165.0"), None), Release(Version("0.166.0"), ">=3.10")],
    }
    assert [str(b) for b in behind(declared, known)] == [
        "Django 5.2.18 -> 5.2.19 (newest 5.2.x)",
        "Django 6.1.3 -> 6.2 (newest; needs Python >=3.12, the section declares 3.11)",
        "fastapi 0.165.0 -> 0.166.0 (newest)",
    ]


def test_releases_are_read_from_a_json_api_like_pypis_leaving_out_yanked_and_pre_releases():
    document = {"releases": {
        "1.0": [{"requires_python": ">=3.9", "yanked": False}],
        "1.1": [{"requires_python": ">=3.9", "yanked": True}],
        "1.2rc1": [{"requires_python": ">=3.9", "yanked": False}],
        "0.9": [],
        "1.0.1": [{"requires_python": ">=3.10", "yanked": False}],
    }}

    class Index(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(document).encode()
            self.send_response(200 if self.path == "/acme/json" else 404)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Index)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        index = f"http://127.0.0.1:{server.server_port}"
        found = releases("acme", index)
        assert [(str(r.version), r.requires_python) for r in found] == [("1.0", ">=3.9"), ("1.0.1", ">=3.10")]
        with pytest.raises(Exception, match="missing: not on the index"):
            releases("missing", index)
    finally:
        server.shutdown()
        server.server_close()


# -- the pages show the versions ----------------------------------------------------------

def test_the_landing_page_and_example_pages_show_the_tested_versions(installed_plugin, portal_app_factory):
    files = plugin_files("pass")
    files["portal_exdemo/content/index.md"] = """\
        ---
        title: Examples demo
        tested_with:
          Django: ["5.2.19", "6.1.3"]
          djangorestframework: "3.18.3"
          pytest: "9.2.0"
        ---
        The section.
    """
    files["portal_exdemo/content/plain.md"] = "# Plain\n\nNo example here.\n"
    installed_plugin("exdemo", files)
    app = portal_app_factory(plugins=["exdemo"])
    shown = ("Tested with Django 5.2.19 and 6.1.3, djangorestframework 3.18.3, pytest 9.2.0 "
             f"on Python {DEFAULT_PYTHON}.")
    assert shown in app.get("/exdemo/").text
    assert shown in app.get("/exdemo/hello/").text
    assert "Tested with" not in app.get("/exdemo/plain/").text


# -- the installed sections' examples, for real -------------------------------------------

_PLANS = None


def installed_plans():
    """The installed sections that declare examples (the portal built once, at collection)."""
    global _PLANS
    if _PLANS is None:
        _PLANS = [p for p in collect(installed_sections()) if p.examples or p.problems]
    return _PLANS


def pytest_generate_tests(metafunc):
    if "section_examples" in metafunc.fixturenames:
        plans = installed_plans()
        metafunc.parametrize("section_examples", plans, ids=[p.section for p in plans])


@pytest.fixture(scope="module")
def harness(request):
    """One harness for the module; the environments of every selected section start
    building at once (two at a time), while the first sections' examples run."""
    selected = [item.callspec.params["section_examples"] for item in request.session.items
                if getattr(item, "callspec", None) and "section_examples" in item.callspec.params]
    with Harness(postgresql=server_url(), redis=DEFAULT_REDIS, jobs=2) as harness:
        harness.prepare(selected)
        yield harness


@pytest.mark.examples
def test_section_examples_pass_with_the_declared_versions(section_examples, harness):
    results = harness.run(section_examples)
    assert results
    failed = [r for r in results if r.status not in ("passed", "unavailable")]
    assert not failed, "\n\n".join(
        f"{r.section}/{r.page} ({r.label}): {r.status}: {r.message}\n"
        + "\n".join("    | " + line for line in r.output.splitlines()[-60:]) for r in failed)
    unavailable = [r for r in results if r.status == "unavailable"]
    if unavailable:
        require(unavailable[0].message)
    for r in results:
        print(f"{r.section}/{r.page} ({r.label}): {r.summary} [{r.seconds:.1f}s]")
