"""``portal plugin check --source DIR``: check the plugin in a source tree, the copy an
author is editing, instead of whatever copy is installed.

The tree's ``pyproject.toml`` says what pip would install: the distribution's name and
version and its ``portal.plugins`` entry points. For the length of the check, a
throw-away ``*.dist-info`` with those entry points and the tree's package folder go to the
front of ``sys.path``: ``importlib.metadata`` then finds that distribution before any
installed one of the same name (it keeps the first it meets), and the plugin's modules
are imported from the tree.
"""

import contextlib
import importlib
import re
import shutil
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path


class SourceError(ValueError):
    """The folder is not a plugin's source tree the check can read."""


@dataclass
class SourceTree:
    folder: Path
    distribution: str
    version: str
    entry_points: dict  # plugin name -> "module" or "module:function"
    package_root: Path


def read_source_tree(folder):
    folder = Path(folder).resolve()
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        raise SourceError(f"{folder} has no pyproject.toml: --source names the folder of a "
                          "plugin's source tree (the one holding pyproject.toml)")
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(f"{pyproject} cannot be read: {exc}") from None
    project = data.get("project") or {}
    name = project.get("name")
    eps = (project.get("entry-points") or {}).get("portal.plugins") or {}
    if not name or not eps:
        raise SourceError(
            f"{pyproject} declares no [project] name with [project.entry-points.\"portal.plugins\"]; "
            "a plugin packaged another way is checked once installed (pip install -e DIR, then "
            "portal plugin check NAME)")
    version = str(project.get("version") or "0+source")
    where = (((data.get("tool") or {}).get("setuptools") or {}).get("packages") or {})
    roots = (where.get("find") or {}).get("where") if isinstance(where, dict) else None
    root = folder / roots[0] if roots else (folder / "src" if (folder / "src").is_dir() else folder)
    return SourceTree(folder, name, version, dict(eps), root)


@contextlib.contextmanager
def source_tree(folder):
    """Make the plugin in source tree ``folder`` the copy the portal discovers and imports."""
    tree = read_source_tree(folder)
    site = Path(tempfile.mkdtemp(prefix="portal-source-"))
    info = site / f"{re.sub(r'[-_.]+', '_', tree.distribution)}-{tree.version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {tree.distribution}\nVersion: {tree.version}\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(
        "[portal.plugins]\n" + "".join(f"{k} = {v}\n" for k, v in tree.entry_points.items()),
        encoding="utf-8")
    modules = {value.split(":")[0].split(".")[0] for value in tree.entry_points.values()}
    paths = [str(site), str(tree.package_root)]
    _forget(modules)
    sys.path[:0] = paths
    importlib.invalidate_caches()
    try:
        yield tree
    finally:
        for path in paths:
            if path in sys.path:
                sys.path.remove(path)
        _forget(modules)
        importlib.invalidate_caches()
        shutil.rmtree(site, ignore_errors=True)


def _forget(modules):
    for name in [m for m in sys.modules if m.split(".")[0] in modules]:
        del sys.modules[name]
