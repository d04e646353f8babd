"""``portal plugin check`` and ``portal plugin list``: installed plugins, seen the way the
portal sees them.

Both build the portal once in a scratch configurator (``portal.main`` with the site's
settings, never serving a request), so a plugin is checked by the same loader that will
serve it: its entry point is imported, its ``includeme`` runs, its content is parsed and
rendered, its section name must be free. ``check`` then looks deeper at what loaded:
broken links between pages (with the line they are on), links to sections this portal
does not have, and fenced Python blocks that do not compile.
"""

import contextlib
import importlib.metadata
import logging
from dataclasses import dataclass

from ..content import Problem
from .loader import discover
from .provenance import entry_point_location

# Settings that would stop the scratch build at the first failure or leave plugins out.


@dataclass
class Installed:
    """A discovered plugin as its installed metadata tells it (nothing imported)."""

    name: str
    distribution: str | None
    version: str | None
    entry_point: object
    status: str = "unknown"
    error: str | None = None
    sections: tuple = ()


def installed_plugins():
    """Every ``portal.plugins`` entry point with its distribution's name and version, read
    from the installed metadata: a plugin that cannot be imported is listed all the same."""
    found = []
    for ep in discover():
        dist = getattr(ep, "dist", None)
        found.append(Installed(
            name=ep.name,
            distribution=dist.metadata["Name"] if dist else None,
            version=dist.version if dist else None,
            entry_point=ep,
        ))
    return found


@contextlib.contextmanager
def _quiet(logger_name):
    """The loader logs each failure; the commands report them their own way."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def scratch_portal(settings, enable=()):
    """The registry of the portal built from ``settings`` (raw, as read from the .ini) the
    way the site runs it, except that failures are collected, never fatal, and the plugins
    ``enable`` are loaded even if the site disables them. Nothing is served."""
    from pyramid.settings import aslist

    from .. import make_app
    from ..ops.settings import load_settings

    raw = dict(settings)
    raw["portal.secret.required"] = "false"  # nothing is signed here
    typed = load_settings(raw, {})
    raw["portal.plugins.strict"] = "false"
    raw["portal.plugins.disabled"] = " ".join(
        name for name in typed["portal.plugins.disabled"] if name not in enable)
    only = list(typed["portal.plugins.only"])
    raw["portal.plugins.only"] = " ".join(only + [n for n in enable if n not in only]) if only else ""
    # A development aid with nothing to check.
    raw["pyramid.includes"] = " ".join(
        k for k in aslist(raw.get("pyramid.includes", "")) if k != "pyramid_debugtoolbar")
    # No environment: the check sees exactly the settings it was given.
    with _quiet("portal.plugins"):
        app = make_app(raw)
    return app.registry


def plugin_statuses(settings):
    """``installed_plugins()`` with the status each gets in the portal ``settings`` make."""
    plugins = installed_plugins()
    registry = scratch_portal(settings)
    records = {rec.name: rec for rec in registry.portal_plugins}
    for plugin in plugins:
        rec = records.get(plugin.name)
        if rec is not None:
            plugin.status, plugin.error, plugin.sections = rec.status, rec.error, tuple(rec.sections)
    return plugins


def check(settings, names=()):
    """Problems of the installed plugins ``names`` (all enabled ones if empty), each a
    ``Problem`` (``file:line: message``), and the plugins checked."""
    installed = {p.name: p for p in installed_plugins()}
    unknown = [n for n in names if n not in installed]
    if unknown:
        raise LookupError(
            f"no installed plugin is named {', '.join(map(repr, unknown))} "
            f"(installed: {', '.join(sorted(installed)) or 'none'})"
        )
    registry = scratch_portal(settings, names)
    records = {rec.name: rec for rec in registry.portal_plugins}
    wanted = list(names) or [n for n, rec in records.items() if rec.status != "disabled"]
    problems = []
    for name in wanted:
        rec = records[name]
        if rec.status == "failed":
            problems.extend(_load_problems(rec, installed[name].entry_point))
        elif rec.status == "loaded":
            for section in rec.sections:
                problems.extend(section_problems(registry.portal_root, registry.portal_root[section]))
    return problems, [records[n] for n in wanted]


def _load_problems(rec, ep):
    if rec.problems:  # located problems of its content or templates, all of them
        return [Problem(p.file, p.line, f"{rec.label}: {p.message}") for p in rec.problems]
    where = rec.where or _format(entry_point_location(ep)) or f"{ep.value}:1"
    file, _, line = where.rpartition(":")
    message = rec.error.replace(f"{where}: ", "").replace(f" [{where}]", "")
    return [Problem(file, int(line), f"{rec.label}: {message}")]


def _format(where):
    return f"{where[0]}:{where[1]}" if where else None


def section_problems(root, section):
    """What the renderer warned about (broken links, missing titles), links to sections
    or pages this portal does not have, and Python blocks that do not compile."""
    problems = []
    for doc in section.documents:
        problems.extend(doc.warnings)
        for link in doc.site_links:
            missing = _missing(root, link.path)
            if missing:
                problems.append(Problem(doc.source, link.line, f"broken link {link.href!r}: {missing}"))
        for block in doc.code:
            if block.lang not in ("python", "py", "python3"):
                continue
            try:
                compile(block.source, str(doc.source), "exec")
            except SyntaxError as exc:
                number = exc.lineno or 1
                text = (block.source.splitlines() or [""])[min(number, len(block.source.splitlines())) - 1]
                hint = (" (mark shell sessions ```console, interactive ones ```pycon)"
                        if text.lstrip().startswith((">>>", "$ ")) else "")
                problems.append(Problem(
                    doc.source, block.line + number, f"python block does not compile: {exc.msg}{hint}"))
    return problems


def _missing(root, path):
    """Why ``path`` (segments) is not a page of ``root``, or None if it is."""
    if not path:
        return None
    if path[0] not in root.sections:
        return f"no section {path[0]!r} is installed in this portal"
    node = root.sections[path[0]]
    for segment in path[1:]:
        if segment not in node.children:
            return f"no page /{'/'.join(path)}/ in section {path[0]!r}"
        node = node.children[segment]
    return None


def requirement_pins(plugins):
    """``dist==version`` of each loaded plugin's distribution, sorted, once each."""
    pins = {(p.distribution, p.version) for p in plugins
            if p.status == "loaded" and p.distribution and p.version}
    return [f"{dist}=={version}" for dist, version in sorted(pins, key=lambda d: d[0].lower())]


def core_requirement():
    """The range of the core a new plugin should require: this release up to the next
    major version (the plugin API changes only with a major version)."""
    try:
        version = importlib.metadata.version("backend-portal")
    except importlib.metadata.PackageNotFoundError:
        version = "1.0"
    major, minor = (version.split(".") + ["0"])[:2]
    return f"backend-portal>={major}.{minor},<{int(major) + 1}"
