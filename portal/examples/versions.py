"""The versions a section is tested with: ``tested_with:`` in the front matter of its
``index.md``, the one place its plugin owns.

```yaml
tested_with:
  python: "3.12"                  # the interpreter (default: 3.11, the portal's baseline)
  Django: ["5.2.19", "6.1.3"]     # a list: the examples run once per version
  djangorestframework: "3.18.3"   # PyPI distribution names, exact versions
```

Several lists multiply: every combination is one pin set, one virtual environment and one
run of every example of the section.
"""

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

from .project import ExampleError, Location

DEFAULT_PYTHON = "3.11"
# PyPI's rule for project names (PEP 508), and an exact version as PEP 440 writes one.
NAME_RE = re.compile(r"^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$")
VERSION_RE = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$")
PYTHON_RE = re.compile(r"^3\.\d+(\.\d+)?$")


@dataclass(frozen=True)
class PinSet:
    """One combination of the declared versions: one environment, one run of the examples."""

    python: str
    pins: tuple  # ((name, version), ...) in the order declared
    varying: tuple  # the (name, version) pairs chosen from lists, for labels

    @property
    def label(self):
        """``Django 5.2.19`` (the versions that differ between runs), or the interpreter."""
        chosen = ", ".join(f"{name} {version}" for name, version in self.varying)
        return chosen or f"Python {self.python}"

    @property
    def requirements(self):
        return [f"{name}=={version}" for name, version in self.pins]


@dataclass(frozen=True)
class TestedWith:
    __test__ = False  # a name pytest would otherwise try to collect

    section: str
    source: Path  # the section's index.md
    python: str
    versions: tuple  # ((name, (version, ...)), ...) in the order declared

    def pin_sets(self):
        names = [name for name, _ in self.versions]
        sets = []
        for combination in itertools.product(*(versions for _, versions in self.versions)):
            pins = tuple(zip(names, combination, strict=True))
            varying = tuple((n, v) for (n, versions), (_, v) in zip(self.versions, pins, strict=True)
                            if len(versions) > 1)
            sets.append(PinSet(self.python, pins, varying))
        return sets


def declared_versions(section, doc):
    """The ``TestedWith`` declared in ``doc`` (a section's index page), or None.
    Raises ``ExampleError`` naming the file and line of every problem."""
    if "tested_with" not in doc.meta:
        return None
    where = Location(doc.source)
    spec = doc.meta["tested_with"]
    if not isinstance(spec, dict) or not spec:
        raise ExampleError([where.problem(
            "tested_with", "tested_with: must map PyPI names to exact versions")])
    problems = []
    python = spec.get("python", DEFAULT_PYTHON)
    if not isinstance(python, str) or not PYTHON_RE.match(python):
        problems.append(where.problem("python", (
            f"tested_with: python must be a quoted version such as \"3.12\", got {python!r}"
            + (" (YAML reads an unquoted 3.10 as 3.1: quote it)" if isinstance(python, float) else ""))))
    versions = []
    for name, value in spec.items():
        if name == "python":
            continue
        values = value if isinstance(value, list) else [value]
        if not isinstance(name, str) or not NAME_RE.match(name):
            problems.append(where.problem(name, f"tested_with: {name!r} is not a PyPI name"))
            continue
        bad = [v for v in values if not isinstance(v, str) or not VERSION_RE.match(v)]
        if bad or not values:
            hint = (" (quote versions: YAML reads 24.10 as 24.1)"
                    if any(isinstance(v, int | float) for v in bad) else "")
            problems.append(where.problem(name, (
                f"tested_with: {name} needs exact versions such as \"1.2.3\" or a list of them, "
                f"got {value!r}{hint}")))
            continue
        if len(set(values)) != len(values):
            problems.append(where.problem(name, f"tested_with: {name} lists a version twice"))
            continue
        versions.append((name, tuple(values)))
    if problems:
        raise ExampleError(problems)
    return TestedWith(section, Path(doc.source), python, tuple(versions))
