"""``portal plugin check`` and ``portal plugin list``: plugins seen the way the portal sees
them.

Both build the portal once in a scratch configurator (``portal.make_app`` with the site's
settings, no environment, never serving a reader), so a plugin is checked by the same
loader that will serve it: its entry point is imported, its ``includeme`` runs, its
content is parsed, its section name must be free (and not owned by another plugin in the
site's database, read but never written), its settings must parse. ``check`` then reports
every located problem: what failed it, and for a loaded plugin the warnings the loader
found (links, front matter, static files, ``section=`` values, renderers) plus Python
blocks that do not compile. ``--source DIR`` checks a source tree instead of the
installed copy; ``--render`` asks the real application for every page and named view.
"""

import contextlib
import importlib.metadata
import json
import logging
import re
from dataclasses import dataclass, field

from ..content import Problem
from .loader import discover
from .provenance import entry_point_location
from .validation import missing_page


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


def scratch_app(settings, enable=(), database_url=None):
    """The WSGI app of the portal built from ``settings`` (raw, as read from the .ini) the
    way the site runs it, except that failures are collected, never fatal, the plugins
    ``enable`` are loaded even if the site disables them, and the section owners recorded
    in the site's database are read but never written. ``database_url`` replaces the
    site's database (``--render`` answers requests against a throw-away one)."""
    from pyramid.settings import aslist

    from .. import make_app
    from ..ops.settings import load_settings

    raw = dict(settings)
    raw["portal.secret.required"] = "false"  # nothing is signed here
    typed = load_settings(raw, {})
    raw["portal.plugins.strict"] = "false"
    raw["portal.plugins.record_owners"] = "false"
    raw["portal.plugins.disabled"] = " ".join(
        name for name in typed["portal.plugins.disabled"] if name not in enable)
    only = list(typed["portal.plugins.only"])
    raw["portal.plugins.only"] = " ".join(only + [n for n in enable if n not in only]) if only else ""
    if database_url:
        raw["sqlalchemy.url"] = database_url
    # A development aid with nothing to check.
    raw["pyramid.includes"] = " ".join(
        k for k in aslist(raw.get("pyramid.includes", "")) if k != "pyramid_debugtoolbar")
    # No environment: the check sees exactly the settings it was given.
    with _quiet("portal.plugins"):
        return make_app(raw)


def scratch_portal(settings, enable=()):
    """The registry of ``scratch_app`` (what ``list`` and ``check`` read)."""
    return scratch_app(settings, enable).registry


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


@dataclass
class Report:
    """What ``check`` found: ``own`` problems (of the plugins asked about) first, then
    ``elsewhere`` (other plugins' problems that concern them: broken links into their
    sections), and which copy of each plugin was checked."""

    own: list = field(default_factory=list)
    elsewhere: list = field(default_factory=list)
    checked: list = field(default_factory=list)  # PluginRecord
    copies: dict = field(default_factory=dict)  # plugin name -> which copy, in words

    @property
    def problems(self):
        return self.own + self.elsewhere


def check(settings, names=(), *, ini=None, source=None, render=False):
    """Check the plugins ``names`` (every enabled one if empty); returns a ``Report``.
    ``ini`` is the .ini file the settings come from (to locate unknown settings);
    ``source`` a ``source.SourceTree`` already on the path (``--source``)."""
    installed = {p.name: p for p in installed_plugins()}
    unknown = [n for n in names if n not in installed]
    if unknown:
        raise LookupError(
            f"no installed plugin is named {', '.join(map(repr, unknown))} "
            f"(installed: {', '.join(sorted(installed)) or 'none'})"
        )
    app = scratch_app(settings, names)
    registry = app.registry
    records = {rec.name: rec for rec in registry.portal_plugins}
    wanted = list(names) or [n for n, rec in records.items() if rec.status != "disabled"]
    report = Report(checked=[records[n] for n in wanted])
    for name in wanted:
        rec = records[name]
        report.copies[name] = which_copy(rec, installed[name].entry_point, source)
        report.own.extend(plugin_problems(registry, rec, installed[name].entry_point, ini))
    if render:
        report.own.extend(render_problems(settings, names or wanted))
    own_sections = {s for n in wanted for s in records[n].sections}
    for rec in records.values():
        if rec.name in wanted or rec.status != "loaded":
            continue
        for problem in rec.warnings:
            if any(f"'/{s}/" in problem.message for s in own_sections):
                report.elsewhere.append(problem)
    return report


def plugin_problems(registry, rec, ep, ini=None):
    if rec.status == "failed":
        return _load_problems(rec, ep)
    if rec.status != "loaded":
        return []
    problems = list(rec.warnings)
    for name in rec.sections:
        problems.extend(compile_problems(registry.portal_root[name]))
    problems.extend(setting_problems(rec, ini))
    return problems


def which_copy(rec, ep, source=None):
    """Which copy of the plugin was checked, in words."""
    where = rec.location or "?"
    if source is not None and rec.distribution and \
            re.sub(r"[-_.]+", "-", rec.distribution).lower() == re.sub(r"[-_.]+", "-", source.distribution).lower():
        return f"the source tree {source.folder} (imported from {where}), not an installed copy"
    dist = getattr(ep, "dist", None)
    editable = _editable_source(dist)
    label = f"{rec.distribution} {rec.version}" if rec.distribution else ep.value
    if editable:
        return f"the installed {label}, an editable install of {editable} (imported from {where})"
    return f"the installed {label} at {where} (use --source DIR to check the tree you are editing)"


def _editable_source(dist):
    try:
        text = dist.read_text("direct_url.json") if dist is not None else None
        data = json.loads(text) if text else {}
    except (OSError, ValueError):
        return None
    if (data.get("dir_info") or {}).get("editable"):
        url = data.get("url", "")
        return url[len("file://"):] if url.startswith("file://") else url
    return None


def _load_problems(rec, ep):
    if rec.problems:  # located problems of its content or templates, all of them
        return [Problem(p.file, p.line, f"{rec.label}: {p.message}") for p in rec.problems]
    where = rec.where or _format(entry_point_location(ep)) or f"{ep.value}:1"
    file, _, line = where.rpartition(":")
    message = rec.error.replace(f"{where}: ", "").replace(f" [{where}]", "")
    return [Problem(file, int(line), f"{rec.label}: {message}")]


def _format(where):
    return f"{where[0]}:{where[1]}" if where else None


def setting_problems(rec, ini):
    """Settings under the plugin's name that it does not declare, located in the .ini."""
    from .settings import describe_unknown

    problems = []
    for key, where, hint in rec.unknown_settings:
        if where != "settings":
            continue
        file, line = (ini, _ini_line(ini, key)) if ini else ("<settings>", 1)
        problems.append(Problem(file, line, describe_unknown(rec, key, where, hint)))
    return problems


def _ini_line(ini, key):
    try:
        with open(ini, encoding="utf-8") as f:
            for number, text in enumerate(f, start=1):
                if re.match(rf"\s*{re.escape(key)}\s*[=:]", text):
                    return number
    except OSError:
        pass
    return 1


def compile_problems(section):
    """Python blocks of a section's pages that do not compile."""
    problems = []
    for doc in section.documents:
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


def section_problems(root, section):
    """Every problem of one section's pages: the renderer's warnings, links to pages this
    portal does not have, Python blocks that do not compile (kept for tools of 1.0)."""
    problems = []
    for doc in section.documents:
        problems.extend(doc.warnings)
        for link in doc.site_links:
            missing = missing_page(root.sections, link.path)
            if missing:
                problems.append(Problem(doc.source, link.line, f"broken link {link.href!r}: {missing}"))
    return problems + compile_problems(section)


def render_problems(settings, names):
    """``--render``: every page of the plugins' sections and every named view they
    registered, asked of the real application (on a throw-away database, whatever the
    site's): each answer that is not 2xx is a problem."""
    import tempfile

    from .render import render_plugins

    with tempfile.TemporaryDirectory(prefix="portal-render-") as folder:
        url = f"sqlite:///{folder}/render.sqlite"
        from alembic import command

        from ..ops.schema import alembic_config

        command.upgrade(alembic_config({"sqlalchemy.url": url}), "head")
        app = scratch_app(settings, names, database_url=url)
        try:
            return render_plugins(app, [app.registry.portal_plugins.records[n] for n in names])
        finally:
            app.registry["dbengine"].dispose()


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
