"""``portal examples freshness``: which sections are tested with versions older than the
newest releases on the package index (PyPI's JSON API). Not a test: it asks the network,
and a new release is news, not a failure.

A single pin is behind when a newer final release exists. In a list (``Django: ["5.2.19",
"6.1.3"]``, a long-term-support line beside the newest) the highest version is compared
with the newest release and each other one with the newest of its own ``X.Y`` line.
"""

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

PYPI_JSON = "https://pypi.org/pypi"


@dataclass(frozen=True)
class Release:
    version: Version
    requires_python: str | None


@dataclass(frozen=True)
class Behind:
    name: str
    pinned: str
    newest: str
    note: str  # "newest", "newest 5.2.x", and what Python the newest needs if not the declared

    def __str__(self):
        return f"{self.name} {self.pinned} -> {self.newest} ({self.note})"


class IndexUnavailable(Exception):
    """The index could not say (unreachable, unknown project)."""


def releases(name, index=PYPI_JSON, timeout=30):
    """The final, not yanked releases of ``name`` on the index, oldest first."""
    url = f"{index.rstrip('/')}/{name}/json"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = json.load(response)
    except urllib.error.HTTPError as exc:
        reason = "not on the index" if exc.code == 404 else f"HTTP {exc.code}"
        raise IndexUnavailable(f"{name}: {reason} ({url})") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise IndexUnavailable(f"{name}: cannot ask {url}: {getattr(exc, 'reason', exc)}") from None
    found = []
    for text, files in data.get("releases", {}).items():
        files = [f for f in files if not f.get("yanked")]
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if not files or version.is_prerelease or version.is_devrelease:
            continue
        found.append(Release(version, files[0].get("requires_python")))
    return sorted(found, key=lambda r: r.version)


def behind(tested, known):
    """The ``Behind`` pins of a ``TestedWith``, given ``known`` {name: [Release]}."""
    out = []
    for name, versions in tested.versions:
        available = known.get(name) or []
        if not available:
            continue
        pins = sorted(Version(v) for v in versions)
        for pin in pins[:-1]:
            line = [r for r in available if r.version.release[:2] == pin.release[:2]]
            if line and line[-1].version > pin:
                series = ".".join(map(str, pin.release[:2]))
                out.append(Behind(name, str(pin), str(line[-1].version), f"newest {series}.x"))
        newest = available[-1]
        if newest.version > pins[-1]:
            out.append(Behind(name, str(pins[-1]), str(newest.version),
                              "newest" + _python_note(newest, tested.python)))
    return out


def _python_note(release, python):
    if not release.requires_python:
        return ""
    try:
        minor = ".".join(python.split(".")[:2])
        supported = SpecifierSet(release.requires_python).contains(Version(f"{minor}.99"))
    except (InvalidSpecifier, InvalidVersion):
        return ""
    if supported:
        return ""
    return f"; needs Python {release.requires_python}, the section declares {python}"


def ask_index(names, index=PYPI_JSON, jobs=8):
    """{name: [Release]} for ``names``, and the problems met asking."""
    known, problems = {}, []

    def one(name):
        try:
            return name, releases(name, index), None
        except IndexUnavailable as exc:
            return name, None, str(exc)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for name, found, problem in pool.map(one, sorted(set(names), key=str.lower)):
            if problem:
                problems.append(problem)
            else:
                known[name] = found
    return known, problems
