"""Plugins: discovery through entry points, loading in isolation, and the config directives.

Contract version 1 (docs/plugins.md): a plugin is an installed distribution with an entry
point in the group ``portal.plugins`` naming a module (or ``module:function``) that holds
``includeme(config)``. Inside, it uses ``config.add_portal_section``,
``config.add_portal_static`` and ``config.add_portal_templates``, and may register views
on the core's resource types and subscribe to the core's events.

A failing plugin never takes the portal down: each plugin is included on its own, the
configuration actions it recorded are set aside, plugins that claim the same thing (the
same action discriminator) are reported together, and each plugin is committed on its
own. Whatever fails is logged in one line, listed as failed on ``/-/plugins``, and the
rest is served. ``portal.plugins.strict = true`` makes the first failure fatal instead.
"""

import importlib.metadata
import inspect
import logging
import sys
from collections import defaultdict
from dataclasses import dataclass, field

from pyramid.exceptions import ConfigurationError
from pyramid.registry import undefer

from ..content import ContentError
from . import provenance
from .isolation import guard_subscribers

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "portal.plugins"
PLUGIN_API_VERSION = 1
SUPPORTED_API_VERSIONS = (1,)
SECTION = "portal section"
# Top-level names the core serves itself; no section may take them.
RESERVED_NAMES = frozenset({"api", "healthz", "readyz", "static", "portal", "sitemap", "search"})


class PluginError(ConfigurationError):
    """A plugin could not be loaded; raised only in strict mode, logged otherwise."""


@dataclass(eq=False)
class PluginRecord:
    """What the portal knows about one discovered plugin (one entry point)."""

    name: str
    value: str
    distribution: str | None
    version: str | None
    status: str = "pending"
    error: str | None = None
    sections: list = field(default_factory=list)
    statics: list = field(default_factory=list)
    templates: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    api: tuple = SUPPORTED_API_VERSIONS
    where: str | None = None  # file:line to open for the error
    problems: list = field(default_factory=list)  # every located problem behind the error
    registered: list = field(default_factory=list)  # what it registered, where (provenance)
    template_paths: list = field(default_factory=list)  # its template folders (absolute)
    failures: int = 0  # at request time (portal.isolation)
    last_failure: str | None = None
    switched_off: bool = False
    actions: list = field(default_factory=list, repr=False)

    @property
    def label(self):
        dist = f" ({self.distribution} {self.version})" if self.distribution else ""
        return f"plugin {self.name!r}{dist}"

    def as_json(self):
        return {
            "name": self.name,
            "version": self.version,
            "distribution": self.distribution,
            "status": self.status,
            "error": self.error,
            "error_at": self.where,
            "sections": list(self.sections),
            "entry_point": self.value,
            "api": list(self.api),
            "static": list(self.statics),
            "templates": list(self.templates),
            "notes": list(self.notes),
            "registered": list(self.registered),
            "failures": self.failures,
            "last_failure": self.last_failure,
            "switched_off": self.switched_off,
        }


class Plugins:
    """The plugin table of one application, kept on ``registry.portal_plugins``."""

    def __init__(self):
        self.records = {}
        self.sections = {}  # name -> Section, filled as section actions execute
        self.current = None  # the record whose includeme is running

    def __iter__(self):
        return iter(self.records.values())

    def loaded(self):
        return [r for r in self if r.status == "loaded"]


def discover():
    """Every ``portal.plugins`` entry point installed, in name order."""
    eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return sorted(eps, key=lambda ep: (ep.name, ep.value))


class PluginLoader:
    """Includes, checks and commits each discovered plugin on its own."""

    def __init__(self, config):
        self.config = config
        settings = config.registry.settings
        self.strict = settings.get("portal.plugins.strict", False)
        self.disabled = set(settings.get("portal.plugins.disabled", ()))
        self.only = set(settings.get("portal.plugins.only", ()))
        self.owners = settings.get("portal.plugins.owners", {})
        self.plugins = config.registry.portal_plugins

    def load(self, entry_points):
        for ep in entry_points:
            rec = record_for(ep)
            if rec.name in self.plugins.records:
                other = self.plugins.records[rec.name]
                self.fail(other, f"plugin name {rec.name!r} is also declared by {rec.distribution}")
                continue
            self.plugins.records[rec.name] = rec
            if rec.name in self.disabled or (self.only and rec.name not in self.only):
                rec.status = "disabled"
                log.info("%s is disabled by the site's settings", rec.label)
                continue
            self.include(rec, ep)
        self.resolve_conflicts()
        for rec in self.plugins.loaded():
            self.commit(rec)
        for rec in self.plugins.loaded():
            log.info("%s loaded: sections %s", rec.label, ", ".join(rec.sections) or "none")

    def fail(self, rec, message, where=None, problems=()):
        rec.status = "failed"
        rec.error = message
        rec.where = provenance.format_location(where)
        rec.problems = list(problems)
        rec.actions = []
        rec.registered = []
        for name in rec.sections:
            self.plugins.sections.pop(name, None)
        text = f"{rec.label}: {message}" + (f" [{rec.where}]" if rec.where else "")
        if self.strict:
            raise PluginError(text)
        log.error("%s", " ".join(text.split()))

    def include(self, rec, ep):
        state = self.config.action_state
        start = len(state.actions)
        self.plugins.current = rec
        rec.status = "loaded"
        try:
            try:
                target = ep.load()
            except (Exception, SystemExit) as exc:  # a plugin's sys.exit() must not stop the portal
                where = provenance.import_location(exc, ep, provenance.plugin_roots(ep))
                return self.fail(rec, f"cannot be imported ({ep.value}): {_describe(exc)}", where)
            if not self.compatible(rec, target):
                return None
            if not callable(target) and not callable(getattr(target, "includeme", None)):
                where = (getattr(target, "__file__", None), 1)
                return self.fail(rec, f"{ep.value} has no includeme(config) function",
                                 where if where[0] else provenance.entry_point_location(ep))
            try:
                self.config.include(target)
            except (Exception, SystemExit) as exc:
                del self.config.action_state.actions[start:]
                where = provenance.exception_location(exc, provenance.plugin_roots(ep))
                return self.fail(rec, f"includeme failed: {_describe(exc)}", where,
                                 getattr(exc, "problems", ()))
            rec.actions = self.config.action_state.actions[start:]
            del self.config.action_state.actions[start:]
        finally:
            self.plugins.current = None
        return None

    def compatible(self, rec, target):
        """A plugin may declare the plugin API versions it supports in its module:
        ``PORTAL_API = 1`` or ``PORTAL_API = (1, 2)``; none declared means version 1."""
        module = target if inspect.ismodule(target) else sys.modules.get(getattr(target, "__module__", ""))
        declared = getattr(target, "PORTAL_API", getattr(module, "PORTAL_API", None))
        if declared is None:
            return True
        where = provenance.assignment_location(module, "PORTAL_API")
        speaks = ", ".join(map(str, SUPPORTED_API_VERSIONS))
        try:
            versions = (declared,) if isinstance(declared, int) else tuple(declared)
        except TypeError:
            versions = ()
        if not versions or not all(isinstance(v, int) and not isinstance(v, bool) for v in versions):
            self.fail(rec, f"PORTAL_API must be a version number or a tuple of them, such as "
                           f"PORTAL_API = ({speaks},); got {declared!r}", where)
            return False
        rec.api = versions
        if not set(versions) & set(SUPPORTED_API_VERSIONS):
            self.fail(
                rec,
                f"supports plugin API version {', '.join(map(str, versions))}, "
                f"but this portal speaks version {speaks}: install a release of the plugin "
                f"made for plugin API {speaks}, or a portal that speaks its version",
                where,
            )
            return False
        return True

    def resolve_conflicts(self):
        """Two plugins recording the same discriminator claim the same thing (a section
        name, a static URL, a view): Pyramid would refuse the whole configuration; here the
        claimants fail together, naming each other, unless the site named an owner."""
        claims = defaultdict(list)
        for rec in self.plugins.loaded():
            for action in rec.actions:
                if action["discriminator"] is not None:
                    claims[action["discriminator"]].append((rec, action))
        for discriminator, claimants in claims.items():
            recs = list(dict.fromkeys(rec for rec, _ in claimants if rec.status == "loaded"))
            if len(recs) < 2:
                continue
            what = _what(discriminator)
            owner = self.owners.get(discriminator[1]) if discriminator[0] == SECTION else None
            if owner in {r.name for r in recs}:
                for rec, action in claimants:
                    if rec.name != owner:
                        rec.actions.remove(action)
                        rec.notes.append(f"{what} given to plugin {owner!r} by portal.plugins.owners")
                continue
            where = "; ".join(f"{rec.label} at {_where(action)}" for rec, action in claimants)
            for rec in recs:
                others = ", ".join(r.label for r in recs if r is not rec)
                info = next(a for r, a in claimants if r is rec).get("info")
                self.fail(
                    rec,
                    f"{what} is also claimed by {others} ({where}); uninstall or disable one, "
                    "or choose the owner with portal.plugins.owners",
                    (info.file, info.line) if getattr(info, "file", None) else None,
                )

    def commit(self, rec):
        """Commit one plugin's actions. ``current`` names it meanwhile, so the view
        deriver of ``portal.isolation`` knows whose views it wraps."""
        self.config.action_state.actions.extend(rec.actions)
        introspectables = [i for action in rec.actions for i in action.get("introspectables", ())]
        self.plugins.current = rec
        try:
            self.config.commit()
        except Exception as exc:
            cause = getattr(exc, "evalue", exc)
            info = getattr(exc, "info", None) or _unresolvable(rec.actions)
            where = (info.file, info.line) if getattr(info, "file", None) else None
            self.fail(rec, f"configuration failed: {_describe(cause)}", where)
            return None
        finally:
            self.plugins.current = None
            # Also when the commit failed halfway: the guard keeps a failed plugin's
            # subscribers that were already registered from running.
            guard_subscribers(self.config.registry, rec, introspectables)
        rec.registered = provenance.registrations(rec.actions)
        return None


def record_for(ep):
    dist = getattr(ep, "dist", None)
    return PluginRecord(
        name=ep.name,
        value=ep.value,
        distribution=dist.metadata["Name"] if dist else None,
        version=dist.version if dist else None,
    )


def _describe(exc):
    text = str(exc).strip()
    if isinstance(exc, (ContentError, ConfigurationError)) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _what(discriminator):
    if discriminator[0] == SECTION:
        return f"section {discriminator[1]!r}"
    return f"configuration {discriminator!r}"


def _unresolvable(actions):
    """The info of the first action whose discriminator cannot be computed: Pyramid
    computes a view's while committing, so an invalid view argument fails there with no
    action info of its own."""
    for action in actions:
        try:
            undefer(action["discriminator"])
        except Exception:
            return action.get("info")
    return None


def _where(action):
    info = action.get("info")
    if info is None or not getattr(info, "file", None):
        return "unknown place"
    return f"{info.file}:{info.line}"
