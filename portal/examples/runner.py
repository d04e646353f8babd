"""Running the worked examples of the installed sections.

For each section (``collect``), for each pin set of its ``tested_with``, in its own virtual
environment (``environments``), each example page runs in a new empty folder: its
``setup`` commands, then its ``file=`` blocks written (``project.assemble``), then its
``run`` command, with the services it asked for (``services``), under a time limit. One
after the other: examples may share a broker's queue names (Celery's two both consume
``celery``), and the machine has two cores. Environments are built ahead, ``jobs`` at a
time, while earlier sections run (``Harness.prepare``).
"""

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..content import iter_documents
from .environments import InterpreterMissing, cache_root, ensure_environment
from .project import ExampleError, assemble, example_of
from .services import (
    DEFAULT_POSTGRESQL,
    DEFAULT_REDIS,
    ServiceUnavailable,
    check_postgresql,
    check_redis,
    postgresql_database,
    redis_database,
)
from .versions import declared_versions

DEFAULT_TIMEOUT = 600  # seconds for one example: its setup and its run together
# What the caller's environment must not hand to an example: its own virtual environment,
# Python and pytest options, settings of the portal's, services the example did not ask for.
STRIPPED_PREFIXES = ("PYTHON", "PYTEST_", "DJANGO_", "CELERY_", "PORTAL_")
STRIPPED = ("VIRTUAL_ENV", "DATABASE_URL", "REDIS_URL", "PIP_REQUIRE_VIRTUALENV")
SHELL = shutil.which("bash") or "/bin/sh"


@dataclass
class SectionExamples:
    """A section's examples and the versions they run with; ``problems`` if either page is
    malformed (then nothing of the section runs: every problem is reported instead)."""

    section: str
    index: Path  # the section's index.md
    tested_with: object = None  # versions.TestedWith
    examples: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    @property
    def pin_sets(self):
        return self.tested_with.pin_sets() if self.tested_with else []

    @property
    def services(self):
        return sorted({s for example in self.examples for s in example.services})


@dataclass
class Result:
    """One example run with one pin set (or a problem that kept it from running)."""

    section: str
    page: str
    label: str
    status: str  # passed, failed, timeout, error (the page's fault), unavailable (the machine's)
    command: str = ""
    seconds: float = 0.0
    passed: int | None = None  # tests passed, read from the test runner's summary
    summary: str = ""  # that summary line: "9 passed in 1.20s", "Ran 9 tests: OK"
    output: str = ""  # everything the commands printed
    message: str = ""  # what went wrong, in a sentence
    folder: str | None = None  # the project folder, when kept

    @property
    def ok(self):
        return self.status == "passed"


def section_examples(section):
    """The ``SectionExamples`` of a ``Section`` resource, or None if it has neither
    examples nor ``tested_with``."""
    index = Path(section.doc.source)
    plan = SectionExamples(section.__name__, index)
    try:
        plan.tested_with = declared_versions(section.__name__, section.doc)
    except ExampleError as exc:
        plan.problems.extend(exc.problems)
    for doc in iter_documents(section.doc):
        try:
            example = example_of(doc, section.__name__, index.parent)
        except ExampleError as exc:
            plan.problems.extend(exc.problems)
            continue
        if example is not None:
            plan.examples.append(example)
    if plan.examples and plan.tested_with is None and not plan.problems:
        plan.problems.append(
            f"{index}:1: section {section.__name__!r} has {len(plan.examples)} example page(s) "
            f"({', '.join(e.page for e in plan.examples)}) but no tested_with: in its front matter: "
            f"declare the versions to install there")
    if not plan.examples and plan.tested_with is None and not plan.problems:
        return None
    return plan


def collect(root, names=()):
    """The ``SectionExamples`` of the sections of ``root`` (a ``Root``), in the portal's
    order; only ``names`` if given. Raises ``LookupError`` for a name that is not an
    installed section."""
    found = [plan for plan in map(section_examples, root) if plan is not None]
    if not names:
        return found
    by_name = {plan.section: plan for plan in found}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        installed = [s.__name__ for s in root]
        missing = [n for n in unknown if n not in installed]
        detail = (f"no installed section is named {', '.join(map(repr, missing))}" if missing else
                  f"section {', '.join(map(repr, unknown))} declares no examples nor tested_with")
        raise LookupError(f"{detail} (with examples: "
                          f"{', '.join(p.section for p in found if p.examples) or 'none'})")
    return [by_name[n] for n in names]


def installed_sections(settings=None):
    """The portal's ``Root`` built from the installed plugins as the site would load them
    (``portal plugin check``'s way): what readers would see is what gets run."""
    from ..plugins.checks import scratch_portal

    return scratch_portal(settings or {}).portal_root


class Harness:
    """Runs sections' examples; build the environments ahead with ``prepare``."""

    def __init__(self, *, cache=None, postgresql=DEFAULT_POSTGRESQL, redis=DEFAULT_REDIS,
                 jobs=2, timeout=DEFAULT_TIMEOUT, keep=False, log=None, on_result=None):
        self.cache = Path(cache) if cache else cache_root()
        self.postgresql = postgresql
        self.redis = redis
        self.timeout = timeout
        self.keep = keep
        self.log = log or (lambda message: None)
        self.on_result = on_result or (lambda result: None)
        self.pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="examples-env")
        self.builds = {}

    def close(self):
        self.pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def prepare(self, plans):
        """Start building (or finding in the cache) every environment ``plans`` need."""
        for plan in plans:
            if plan.problems or not plan.examples:
                continue
            for pin_set in plan.pin_sets:
                self._build(plan, pin_set)

    def _build(self, plan, pin_set):
        key = (plan.section, pin_set)
        if key not in self.builds:
            self.builds[key] = self.pool.submit(
                ensure_environment, plan.section, pin_set, self.cache,
                declared_in=plan.index, log=self.log)
        return self.builds[key]

    def run(self, plan):
        """Every example of ``plan`` with every pin set: a list of ``Result``."""
        results = []

        def report(result):
            results.append(result)
            self.on_result(result)

        if plan.problems:
            report(Result(plan.section, "", "", "error", message="\n".join(plan.problems)))
            return results
        unavailable = self._check_services(plan.services)
        for pin_set in plan.pin_sets:
            started = time.monotonic()
            try:
                environment = self._build(plan, pin_set).result()
            except ExampleError as exc:
                status = "unavailable" if isinstance(exc, InterpreterMissing) else "error"
                for example in plan.examples:
                    report(Result(plan.section, example.page, pin_set.label, status,
                                  command=example.run, message=str(exc)))
                continue
            waited = time.monotonic() - started
            how = (f"built in {environment.seconds:.0f}s" if environment.built
                   else "from the cache")
            self.log(f"{plan.section} ({pin_set.label}): Python {environment.interpreter.version}, "
                     f"environment {how}{f', waited {waited:.0f}s' if waited >= 1 else ''}: "
                     f"{environment.path}")
            for example in plan.examples:
                missing = [unavailable[s] for s in example.services if s in unavailable]
                if missing:
                    report(Result(plan.section, example.page, pin_set.label, "unavailable",
                                  command=example.run, message="; ".join(missing)))
                    continue
                report(run_example(example, environment, pin_set.label,
                                   postgresql=self.postgresql, redis=self.redis,
                                   timeout=self.timeout, keep=self.keep,
                                   lock_dir=self.cache / "locks"))
        return results

    def _check_services(self, names):
        checks = {"postgresql": lambda: check_postgresql(self.postgresql),
                  "redis": lambda: check_redis(self.redis)}
        unavailable = {}
        for name in names:
            try:
                checks[name]()
            except ServiceUnavailable as exc:
                unavailable[name] = str(exc)
        return unavailable


def run_example(example, environment, label="", *, postgresql=DEFAULT_POSTGRESQL,
                redis=DEFAULT_REDIS, timeout=DEFAULT_TIMEOUT, keep=False, lock_dir=None):
    """Run one example in a new folder with ``environment`` first on PATH: its setup, its
    files, its run command. Returns a ``Result``; never raises for the example's faults."""
    started = time.monotonic()
    deadline = started + timeout
    workdir = Path(tempfile.mkdtemp(prefix=f"portal-example-{example.section}-"))
    project = workdir / "project"
    project.mkdir()
    log = workdir / "output.log"
    result = Result(example.section, example.page, label, "failed", command=example.run)
    try:
        with contextlib.ExitStack() as stack:
            urls = {}
            try:
                if "postgresql" in example.services:
                    urls["DATABASE_URL"] = stack.enter_context(postgresql_database(
                        postgresql, prefix=f"portal_example_{example.section}"))
                if "redis" in example.services:
                    urls["REDIS_URL"] = stack.enter_context(redis_database(redis, lock_dir=lock_dir))
            except ServiceUnavailable as exc:
                result.status, result.message = "unavailable", str(exc)
                return result
            env = example_environ(environment, urls)
            for command in example.setup:
                code = _shell(command, project, env, log, deadline)
                if code != 0:
                    result.message = _failure(example, "setup command", command, code, timeout)
                    result.status = "timeout" if code is None else "failed"
                    return result
            try:
                assemble(example, project)
            except ExampleError as exc:
                result.status, result.message = "error", str(exc)
                return result
            offset = log.stat().st_size if log.exists() else 0
            code = _shell(example.run, project, env, log, deadline)
            ran = log.read_text(errors="replace")[offset:] if log.exists() else ""
            result.passed, result.summary = read_summary(ran)
            if code == 0:
                result.status = "passed"
            else:
                result.status = "timeout" if code is None else "failed"
                result.message = _failure(example, "run command", example.run, code, timeout)
    finally:
        result.seconds = time.monotonic() - started
        result.output = log.read_text(errors="replace") if log.exists() else ""
        if keep:
            result.folder = str(project)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return result


def _failure(example, what, command, code, timeout):
    if code is None:
        return f"{example.source}: the {what} `{command}` did not finish within {timeout}s"
    return f"{example.source}: the {what} `{command}` exited with status {code}"


def example_environ(environment, urls, base=None):
    """The variables an example runs with: the machine's, the section's environment first
    on PATH, and the services' URLs."""
    base = os.environ if base is None else base
    env = {k: v for k, v in base.items()
           if not k.startswith(STRIPPED_PREFIXES) and k not in STRIPPED}
    env["PATH"] = f"{environment.bin}{os.pathsep}{base.get('PATH', os.defpath)}"
    env["VIRTUAL_ENV"] = str(environment.path)
    env.update(urls)
    return env


def _shell(command, cwd, env, log, deadline):
    """Run ``command`` with the shell in its own process group, its output added to
    ``log``. Returns its exit status, or None if it ran past ``deadline`` (then the whole
    group is stopped). Whatever it left running is stopped too: a test's forgotten server
    must not outlive the example."""
    with open(log, "a") as out:
        out.write(f"$ {command}\n")
        out.flush()
        proc = subprocess.Popen([SHELL, "-c", command], cwd=cwd, env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            code = None
        _kill_group(proc.pid, signal.SIGKILL)
        proc.wait()
        if code is None:
            out.write("\n[stopped: the time limit ran out]\n")
    return code


def _kill_group(pgid, sig):
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


_PYTEST = re.compile(r"^=*\s*((?:\d+ [a-z]+(?:, )?)+) in [\d.]+s(?: \([^)]*\))?\s*=*\s*$", re.M)
_UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in [\d.]+s\s*$", re.M)
_UNITTEST_END = re.compile(r"^(OK|FAILED)(?: \(([^)]*)\))?\s*$", re.M)


def read_summary(output):
    """(tests passed, the summary line) from pytest's or unittest's (Django's ``manage.py
    test``) last words in ``output``; (None, "") if neither printed one."""
    found = _PYTEST.findall(output)
    if found:
        counts = {word: int(n) for n, word in re.findall(r"(\d+) ([a-z]+)", found[-1])}
        line = _PYTEST.search(output[output.rfind(found[-1]):])
        return counts.get("passed", 0), (line.group(0).strip(" =\n") if line else found[-1])
    ran = _UNITTEST_RAN.findall(output)
    if ran:
        end = _UNITTEST_END.findall(output)
        verdict, detail = end[-1] if end else ("", "")
        counts = {k.strip(): int(v) for k, v in re.findall(r"(\w[\w ]*)=(\d+)", detail)}
        not_passed = sum(counts.get(k, 0) for k in ("failures", "errors", "skipped"))
        summary = f"Ran {ran[-1]} tests: {verdict}" + (f" ({detail})" if detail else "")
        return int(ran[-1]) - not_passed, summary
    return None, ""

