"""Virtual environments for the examples: one per section and pin set, built with the
declared interpreter and exactly the declared versions, and kept between runs under
``${XDG_CACHE_HOME:-~/.cache}/portal/examples/<hash>`` (a fresh clone on the same machine
reuses them; a change of pins, interpreter or section makes a new hash).

A file lock beside each environment lets two runs (a developer's and CI's) share the cache:
the second waits for the first to finish building, then uses what it built.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .project import ExampleError

FORMAT = 1  # bump to rebuild every cached environment (a change in how they are made)
MARKER = "portal-examples.json"
KEEP_UNUSED_DAYS = 30
INSTALL_TIMEOUT = 1800  # seconds for pip to install one pin set
_PROBE = ("import json, sys, ensurepip, venv; "
          "print(json.dumps([sys.executable, '.'.join(map(str, sys.version_info[:3]))]))")


class InterpreterMissing(ExampleError):
    """The declared Python is not on this machine: the machine's fault, not the page's."""


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: str  # "3.12.1"


@dataclass(frozen=True)
class Environment:
    """A ready virtual environment: ``bin`` goes first on the examples' PATH."""

    path: Path
    interpreter: Interpreter
    built: bool = False  # made by this run (False: taken from the cache)
    seconds: float = 0.0

    @property
    def bin(self):
        return self.path / "bin"


def cache_root(environ=None):
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "portal" / "examples"


def candidates(version, environ=None):
    """Where a ``python3.X`` may be: on PATH, then pyenv's versions (newest patch first)."""
    environ = os.environ if environ is None else environ
    minor = ".".join(version.split(".")[:2])
    found = []
    on_path = shutil.which(f"python{minor}", path=environ.get("PATH", os.defpath))
    if on_path:
        found.append(on_path)
    pyenv = Path(environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    if pyenv.is_dir():
        def patch(p):
            return tuple(int(x) if x.isdigit() else -1 for x in p.name.split("."))

        matching = [p for p in pyenv.iterdir()
                    if p.name == version or (p.name.startswith(f"{minor}.") and p.name[len(minor) + 1:].isdigit())]
        for p in sorted(matching, key=patch, reverse=True):
            if (p / "bin" / "python").exists():
                found.append(str(p / "bin" / "python"))
    return found


def find_python(version, environ=None, *, declared_in=None):
    """The interpreter for ``version`` ("3.12" or "3.12.1"): the first candidate that
    runs, is that version and can make virtual environments. Raises
    ``InterpreterMissing`` saying where it looked."""
    tried = []
    for path in candidates(version, environ):
        try:
            out = subprocess.run([path, "-c", _PROBE], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            tried.append(f"{path} ({exc})")
            continue
        if out.returncode != 0:
            tried.append(f"{path} ({(out.stderr.strip().splitlines() or ['fails'])[0]})")
            continue
        executable, full = json.loads(out.stdout)
        if full == version or full.startswith(f"{version}."):
            return Interpreter(executable, full)
        tried.append(f"{path} (is {full})")
    where = f" (tested_with: python in {declared_in})" if declared_in else ""
    looked = "; ".join(tried) if tried else "none found"
    raise InterpreterMissing([
        f"Python {version} is declared{where} but not on this machine: looked for "
        f"python{'.'.join(version.split('.')[:2])} on PATH and under pyenv "
        f"($PYENV_ROOT/versions, ~/.pyenv/versions): {looked}. Install it, or change the "
        f"section's tested_with: python"])


def environment_key(section, interpreter, requirements):
    """The cache key: the section, the exact interpreter, the pins, the format."""
    blob = json.dumps({"format": FORMAT, "section": section, "python": interpreter.path,
                       "version": interpreter.version, "pins": sorted(requirements)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@contextlib.contextmanager
def locked(path):
    """An exclusive lock on ``path`` (made if missing), released when the block ends or
    the process dies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_environment(section, pin_set, root=None, *, declared_in=None, log=None):
    """The virtual environment of ``section`` with ``pin_set``, from the cache or built
    now. Raises ``InterpreterMissing`` or ``ExampleError`` (pip failed: its last lines)."""
    root = Path(root) if root is not None else cache_root()
    interpreter = find_python(pin_set.python, declared_in=declared_in)
    key = environment_key(section, interpreter, pin_set.requirements)
    path = root / key
    started = time.monotonic()
    with locked(root / f"{key}.lock"):
        marker = path / MARKER
        if marker.is_file() and _runs(path):
            os.utime(marker)  # used now: kept by prune()
            return Environment(path, interpreter, built=False, seconds=time.monotonic() - started)
        if path.exists():
            shutil.rmtree(path)  # a build that was interrupted
        _build(path, interpreter, pin_set, section, log)
        marker.write_text(json.dumps({
            "section": section, "python": interpreter.path, "version": interpreter.version,
            "pins": pin_set.requirements}, indent=1) + "\n")
    return Environment(path, interpreter, built=True, seconds=time.monotonic() - started)


def _runs(path):
    try:
        return subprocess.run([path / "bin" / "python", "-c", "pass"], timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _build(path, interpreter, pin_set, section, log):
    path.parent.mkdir(parents=True, exist_ok=True)
    install_log = path.parent / f"{path.name}.install.log"
    # Without pins there is nothing for pip to do, and ensurepip is most of a venv's cost.
    steps = [[interpreter.path, "-m", "venv", *([] if pin_set.requirements else ["--without-pip"]),
              str(path)]]
    if pin_set.requirements:
        # --no-compile halves the install: Python compiles what the examples import, once.
        steps.append([str(path / "bin" / "python"), "-m", "pip", "install", "--no-input",
                      "--disable-pip-version-check", "--progress-bar", "off", "--no-compile",
                      *pin_set.requirements])
    if log:
        log(f"building the environment of {section} ({pin_set.label}): Python "
            f"{interpreter.version}, {len(pin_set.requirements)} pins")
    with open(install_log, "w") as out:
        for step in steps:
            out.write("$ " + " ".join(step) + "\n")
            out.flush()
            try:
                code = subprocess.run(step, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      env=_clean_environ(), timeout=INSTALL_TIMEOUT).returncode
            except subprocess.TimeoutExpired:
                code = f"timed out after {INSTALL_TIMEOUT}s"
            if code != 0:
                shutil.rmtree(path, ignore_errors=True)
                tail = _tail(install_log.read_text(errors="replace"))
                raise ExampleError([
                    f"section {section} ({pin_set.label}): {' '.join(step[:4])} ... failed "
                    f"({code}); the pins are {' '.join(pin_set.requirements)}; last lines of "
                    f"{install_log}:\n{tail}"])


def _tail(text, lines=25):
    kept = [line for line in text.splitlines() if "is ignored: it is neither a file nor" not in line]
    return "\n".join("    " + line for line in kept[-lines:])


def _clean_environ():
    """The environment for pip: the machine's, without a virtual environment or Python
    path of the caller's leaking in."""
    return {k: v for k, v in os.environ.items()
            if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PIP_REQUIRE_VIRTUALENV")}


def prune(root=None, days=KEEP_UNUSED_DAYS):
    """Remove environments no run has used for ``days`` days (pins change every month or
    so; each environment is some 100 MB). Returns the paths removed."""
    root = Path(root) if root is not None else cache_root()
    if not root.is_dir():
        return []
    removed = []
    cutoff = time.time() - days * 86400
    for marker in root.glob(f"*/{MARKER}"):
        path = marker.parent
        if marker.stat().st_mtime >= cutoff:
            continue
        lock = root / f"{path.name}.lock"
        with open(lock, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # in use right now
            shutil.rmtree(path, ignore_errors=True)
            (root / f"{path.name}.install.log").unlink(missing_ok=True)
            removed.append(path)
    return removed
