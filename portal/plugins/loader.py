"""Plugins: discovery through entry points, loading in isolation, and the plugin table.

Contract 1.2 (docs/plugins.md): a plugin is an installed distribution with an entry point
in the group ``portal.plugins`` naming a module (or ``module:function``) that holds
``includeme(config)``. Inside, it uses the directives (``config.add_portal_section``,
``add_portal_static``, ``add_portal_templates``, ``add_portal_setting``,
``add_portal_search_terms``), and may register views on the core's resource types and
subscribe to the core's events.

A failing plugin never takes the portal down: each plugin is included on its own, the
configuration actions it recorded are set aside, plugins that claim the same thing (the
same action discriminator) are resolved together (a section keeps its recorded owner,
``portal.plugins.owners``), and each plugin is committed on its own. A plugin that fails
keeps nothing it registered (``rollback``). Whatever fails is logged in one line, listed
as failed on ``/-/plugins``, and the rest is served. ``portal.plugins.strict = true``
makes the first failure fatal instead.

Who registered something is known from the package that registered it (``config.package``
in a directive, the view deriver's ``info.package``), matched against each plugin's
packages: the view a plugin scans with ``@view_config`` is its own as surely as one it adds
in ``includeme``.
"""

import importlib.metadata
import importlib.util
import inspect
import logging
import sys
from collections import defaultdict
from dataclasses import dataclass, field

from pyramid.exceptions import ConfigurationError
from pyramid.registry import undefer

from ..content import ContentError
from . import owners as section_owners
from . import provenance
from .isolation import guard_subscribers
from .rollback import RegistrySnapshot, forget
from .settings import describe_unknown, unknown_settings

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "portal.plugins"
# The major version of the plugin API: what ``PORTAL_API = (1,)`` names. Minor versions
# only add to it, so a plugin written for 1.0 runs unchanged on every 1.x core.
PLUGIN_API_VERSION = 1
SUPPORTED_API_VERSIONS = (1,)
# The newest contract of that major version this core implements (docs/plugins.md).
PLUGIN_CONTRACT = "1.2"
SECTION = "portal section"
CORE_PACKAGE = __name__.split(".")[0]  # never a plugin's, even one shipped as portal.contrib.x
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
    statics: list = field(default_factory=list)  # URL prefixes, "/-/static/acme/"
    static_folders: dict = field(default_factory=dict)  # static name -> absolute folder
    templates: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    api: tuple = SUPPORTED_API_VERSIONS
    contract: str = "1.0"  # the contract it declares it needs ("1.1" through PORTAL_API)
    where: str | None = None  # file:line to open for the error
    problems: list = field(default_factory=list)  # every located problem behind the error
    warnings: list = field(default_factory=list)  # located problems of a loaded plugin
    registered: list = field(default_factory=list)  # what it registered, where (provenance)
    template_paths: list = field(default_factory=list)  # its template folders (absolute)
    settings: list = field(default_factory=list)  # its declared settings (PluginSetting)
    unknown_settings: list = field(default_factory=list)  # (key, where, hint)
    contributions: list = field(default_factory=list)  # circuit breakers (portal.isolation)
    views: list = field(default_factory=list)  # (view, options) its views were derived with
    packages: tuple = ()  # the packages whose registrations are this plugin's
    location: str | None = None  # the folder it is imported from
    actions: list = field(default_factory=list, repr=False)
    settings_changes: dict = field(default_factory=dict, repr=False)  # key -> value before
    pending_sections: list = field(default_factory=list, repr=False)  # declared, not served yet

    @property
    def label(self):
        dist = f" ({self.distribution} {self.version})" if self.distribution else ""
        return f"plugin {self.name!r}{dist}"

    @property
    def failures(self):
        return sum(b.failures for b in self.contributions)

    @property
    def switched_off(self):
        """Some of its contributions are switched off right now (their circuit is open)."""
        return any(b.state != "serving" for b in self.contributions)

    @property
    def last_failure(self):
        failed = [b for b in self.contributions if b.last_failure_at is not None]
        if not failed:
            return None
        latest = max(failed, key=lambda b: b.last_failure_at)
        return f"{latest.what}: {latest.last_error}"

    def as_json(self, full=True):
        """The entry of ``/-/plugins.json``. ``full`` (moderators): everything; otherwise
        names, versions, states and sections, without paths, errors or setting values."""
        entry = {
            "name": self.name,
            "version": self.version,
            "distribution": self.distribution,
            "status": self.status,
            "error": self.error if full or self.error is None else _public_error(self),
            "sections": list(self.sections),
            "entry_point": self.value,
            "api": list(self.api),
            "contract": self.contract,
            "static": list(self.statics),
            "switched_off": self.switched_off,
            "failures": self.failures,
            "contributions": [b.as_json(full) for b in self.contributions],
            "settings": [s.as_json(full) for s in self.settings],
            "warnings_count": len(self.warnings),
        }
        if full:
            entry.update({
                "error_at": self.where,
                "problems": [_problem_json(p) for p in self.problems],
                "warnings": [_problem_json(p) for p in self.warnings],
                "templates": list(self.templates),
                "notes": list(self.notes),
                "registered": list(self.registered),
                "last_failure": self.last_failure,
                "location": self.location,
            })
        return entry


def _public_error(rec):
    return "failed to load; the reason is on /-/plugins for moderators and in the portal's log"


def _problem_json(problem):
    return {"file": getattr(problem, "file", None), "line": getattr(problem, "line", None),
            "message": getattr(problem, "message", str(problem)), "text": str(problem)}


class Plugins:
    """The plugin table of one application, kept on ``registry.portal_plugins``."""

    def __init__(self):
        self.records = {}
        self.sections = {}  # name -> Section, filled as section actions execute
        self.packages = {}  # package name -> record (see ``plugin_for_package``)

    def __iter__(self):
        return iter(self.records.values())

    def loaded(self):
        return [r for r in self if r.status == "loaded"]

    def plugin_for_package(self, package):
        """The plugin whose package is the longest prefix of ``package`` (a dotted
        module or package name), or None for the core and anything else."""
        name = getattr(package, "__name__", package)
        if not isinstance(name, str):
            return None
        while name:
            rec = self.packages.get(name)
            if rec is not None:
                return rec
            name = name.rpartition(".")[0]
        return None


def plugin_of(config):
    """The plugin a configurator works for (its package), or None."""
    plugins = getattr(config.registry, "portal_plugins", None)
    if plugins is None:
        return None
    return plugins.plugin_for_package(config.package_name)


def discover():
    """Every ``portal.plugins`` entry point installed, in name order."""
    eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return sorted(eps, key=lambda ep: (ep.name, ep.value))


def packages_of(ep):
    """The packages an entry point's registrations come from: the package holding its
    module (what ``config.package`` is in its ``includeme``) and its top-level package."""
    module = ep.module
    top = module.split(".")[0]
    try:
        spec = importlib.util.find_spec(module)
        is_package = spec is not None and spec.submodule_search_locations is not None
    except (ImportError, ValueError):
        is_package = True
    own = module if is_package else module.rpartition(".")[0] or module
    return tuple(dict.fromkeys([own, top]))


class PluginLoader:
    """Includes, checks and commits each discovered plugin on its own."""

    def __init__(self, config):
        self.config = config
        self.registry = config.registry
        settings = config.registry.settings
        self.strict = settings.get("portal.plugins.strict", False)
        self.disabled = set(settings.get("portal.plugins.disabled", ()))
        self.only = set(settings.get("portal.plugins.only", ()))
        self.owners = settings.get("portal.plugins.owners", {})
        self.record_owners = settings.get("portal.plugins.record_owners", True)
        self.plugins = config.registry.portal_plugins
        self.environ = getattr(config.registry, "portal_environ", None) or {}

    def load(self, entry_points):
        entry_points = list(entry_points)
        enabled = []
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
            enabled.append((rec, ep))
        self.claim_packages(enabled)
        for rec, ep in enabled:
            self.include(rec, ep)
        self.resolve_conflicts()
        for rec in self.plugins.loaded():
            self.commit(rec)
        self.remember_owners()
        from .validation import check_loaded

        check_loaded(self.registry, self.plugins)
        for rec in self.plugins.loaded():
            log.info("%s loaded: sections %s", rec.label, ", ".join(rec.sections) or "none")

    def claim_packages(self, enabled):
        """Map each plugin's packages to it. A top-level package shared by two plugins
        (``acme.one`` and ``acme.two``) is nobody's: only their own packages count."""
        claims = defaultdict(list)
        for rec, ep in enabled:
            rec.packages = packages_of(ep)
            rec.location = _location(ep)
            for package in rec.packages:
                claims[package].append(rec)
        for package, recs in claims.items():
            if len(recs) == 1 and package != CORE_PACKAGE:
                self.plugins.packages[package] = recs[0]

    def fail(self, rec, message, where=None, problems=()):
        rec.status = "failed"
        rec.error = message
        rec.where = provenance.format_location(where)
        rec.problems = list(problems)
        self.forget_registrations(rec)
        text = f"{rec.label}: {message}" + (f" [{rec.where}]" if rec.where else "")
        if self.strict:
            raise PluginError(text)
        log.error("%s", " ".join(text.split()))

    def forget_registrations(self, rec):
        """A failed plugin keeps nothing: its record is cleared and the settings its
        includeme set are put back (the registry itself is restored by the caller)."""
        for name in rec.sections:
            self.plugins.sections.pop(name, None)
        health = getattr(self.registry, "portal_health", None)
        if health is not None:
            health.forget(rec)
        settings = self.registry.settings
        for key, before in rec.settings_changes.items():
            if before is _ABSENT:
                settings.pop(key, None)
            else:
                settings[key] = before
        rec.settings_changes = {}
        rec.actions = []
        rec.registered = []
        rec.sections = []
        rec.statics = []
        rec.static_folders = {}
        rec.templates = []
        rec.template_paths = []
        rec.settings = []
        rec.unknown_settings = []
        rec.contributions = []
        rec.views = []
        rec.warnings = []
        rec.pending_sections = []

    def include(self, rec, ep):
        state = self.config.action_state
        start = len(state.actions)
        before = dict(self.registry.settings)
        rec.status = "loaded"
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
            rec.settings_changes = _changes(before, self.registry.settings)
            where = provenance.exception_location(exc, provenance.plugin_roots(ep))
            return self.fail(rec, f"includeme failed: {_describe(exc)}", where,
                             getattr(exc, "problems", ()))
        rec.actions = self.config.action_state.actions[start:]
        del self.config.action_state.actions[start:]
        rec.settings_changes = _changes(before, self.registry.settings)
        rec.unknown_settings = unknown_settings(rec, self.registry.settings, self.environ)
        for key, where, hint in rec.unknown_settings:
            message = describe_unknown(rec, key, where, hint)
            rec.notes.append(message)
            log.warning("%s", message)
        return None

    def compatible(self, rec, target):
        """A plugin may declare the plugin API versions it supports in its module:
        ``PORTAL_API = 1``, ``PORTAL_API = (1, 2)``, or the contract it needs,
        ``PORTAL_API = "1.1"``; none declared means version 1 (contract 1.0)."""
        module = target if inspect.ismodule(target) else sys.modules.get(getattr(target, "__module__", ""))
        declared = getattr(target, "PORTAL_API", getattr(module, "PORTAL_API", None))
        if declared is None:
            return True
        where = provenance.assignment_location(module, "PORTAL_API")
        speaks = ", ".join(map(str, SUPPORTED_API_VERSIONS))
        try:
            versions = (declared,) if isinstance(declared, (int, str)) else tuple(declared)
        except TypeError:
            versions = ()
        parsed = [_api_version(v) for v in versions]
        if not parsed or None in parsed:
            self.fail(rec, f"PORTAL_API must be a version number, a contract such as "
                           f"'{PLUGIN_CONTRACT}', or a tuple of them, such as PORTAL_API = ({speaks},); "
                           f"got {declared!r}", where)
            return False
        rec.api = tuple(dict.fromkeys(major for major, _ in parsed))
        usable = [(major, minor) for major, minor in parsed if major in SUPPORTED_API_VERSIONS]
        if not usable:
            self.fail(
                rec,
                f"supports plugin API version {', '.join(map(str, rec.api))}, "
                f"but this portal speaks version {speaks}: install a release of the plugin "
                f"made for plugin API {speaks}, or a portal that speaks its version",
                where,
            )
            return False
        ours = tuple(int(p) for p in PLUGIN_CONTRACT.split("."))
        needs = min(usable)
        if needs > ours:
            self.fail(rec, f"needs plugin contract {needs[0]}.{needs[1]}, but this portal "
                           f"implements contract {PLUGIN_CONTRACT}: upgrade the portal "
                           "(backend-portal) or install an older release of the plugin", where)
            return False
        rec.contract = f"{needs[0]}.{needs[1]}"
        return True

    def resolve_conflicts(self):
        """Two plugins recording the same discriminator claim the same thing (a section
        name, a static URL, a view). A section goes to the plugin the site names
        (``portal.plugins.owners``), else to its recorded owner (the newcomer fails),
        else, with no owner yet, to nobody: every claimant fails naming the others.
        Any other shared discriminator fails its claimants together."""
        claims = defaultdict(list)
        for rec in self.plugins.loaded():
            for action in rec.actions:
                if action["discriminator"] is not None:
                    claims[action["discriminator"]].append((rec, action))
        sections = [d for d in claims if _is_section(d)]
        recorded = section_owners.read_owners(self.registry.get("dbengine")) if sections else {}
        self.recorded, self.handed_over = recorded, {}
        for discriminator, claimants in claims.items():
            recs = list(dict.fromkeys(rec for rec, _ in claimants if rec.status == "loaded"))
            if not recs:
                continue
            if _is_section(discriminator):
                self.resolve_section(discriminator[1], recs, claimants, recorded)
            elif len(recs) > 1:
                self.fail_claimants(f"configuration {discriminator!r}", recs, claimants)

    def resolve_section(self, name, recs, claimants, recorded):
        what = f"section {name!r}"
        chosen = self.owners.get(name)
        if chosen in {r.name for r in recs}:
            winner = next(r for r in recs if r.name == chosen)
            for rec, action in claimants:
                if rec is not winner:
                    rec.actions.remove(action)
                    rec.notes.append(f"{what} given to plugin {chosen!r} by portal.plugins.owners")
            self.handed_over[name] = winner
            return
        owner = recorded.get(name) if recorded is not None else None
        if owner is not None:
            keeper = next((r for r in recs if owner.is_(r)), None)
            for rec in recs:
                if rec is keeper:
                    continue
                action = next(a for r, a in claimants if r is rec)
                served = (f"{keeper.label} serves it" if keeper is not None
                          else f"it belongs to {owner.label}, which is not loaded here")
                self.fail(rec, f"{what} already has an owner: {served}, and {rec.label} "
                               f"claims it too. To hand the section over, set "
                               f"portal.plugins.owners = {name}={rec.name} in the site's settings "
                               f"(PORTAL_PLUGINS_OWNERS); otherwise uninstall or disable {rec.name!r}",
                          _info_location(action))
            return
        if len(recs) < 2:
            return
        unknown = (" The section owners recorded in the database could not be read."
                   if recorded is None else " No owner is recorded for it yet.")
        self.fail_claimants(what, recs, claimants, unknown)

    def fail_claimants(self, what, recs, claimants, why=""):
        where = "; ".join(f"{rec.label} at {_where(action)}" for rec, action in claimants)
        for rec in recs:
            others = ", ".join(r.label for r in recs if r is not rec)
            action = next(a for r, a in claimants if r is rec)
            self.fail(
                rec,
                f"{what} is also claimed by {others} ({where}).{why} Uninstall or disable one, "
                "or choose the owner with portal.plugins.owners",
                _info_location(action),
            )

    def commit(self, rec):
        """Commit one plugin's actions; if that fails, put back whatever ran."""
        snapshot = RegistrySnapshot(self.registry)
        self.config.action_state.actions.extend(rec.actions)
        introspectables = [i for action in rec.actions for i in action.get("introspectables", ())]
        try:
            self.config.commit()
        except Exception as exc:
            self.config.action_state.actions = []
            snapshot.restore(introspectables)
            cause = getattr(exc, "evalue", exc)
            info = getattr(exc, "info", None) or _unresolvable(rec.actions)
            where = (info.file, info.line) if getattr(info, "file", None) else None
            self.fail(rec, f"configuration failed: {_describe(cause)}", where,
                      getattr(cause, "problems", ()))
            return None
        guard_subscribers(self.registry, rec, introspectables)
        rec.registered = provenance.registrations(rec.actions)
        return None

    def remember_owners(self):
        """Record the owner of every section one plugin alone now serves (and of those
        the site handed over), so a later newcomer cannot take them."""
        if not self.record_owners:
            return
        recorded = getattr(self, "recorded", None)
        if recorded is None:
            return  # the database could not tell: it is asked again at the next start
        served = {name: rec for rec in self.plugins.loaded() for name in rec.sections}
        handed = {n: r for n, r in self.handed_over.items()
                  if n in served and not (n in recorded and recorded[n].is_(r))}
        fresh = {n: r for n, r in served.items() if n not in handed and n not in recorded}
        section_owners.record_owners(self.registry.get("dbengine"), fresh, handed,
                                     self.registry.portal_clock.utcnow())


_ABSENT = object()


def _changes(before, after):
    """``{key: value before}`` for every setting ``after`` added or changed."""
    changed = {}
    for key, value in after.items():
        if key not in before:
            changed[key] = _ABSENT
        elif before[key] is not value:
            changed[key] = before[key]
    return changed


def _is_section(discriminator):
    return isinstance(discriminator, tuple) and discriminator[:1] == (SECTION,)


def _api_version(value):
    """``(major, minor)`` of a declared version: ``1`` -> (1, 0), ``"1.1"`` -> (1, 1)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value, 0
    if isinstance(value, str):
        major, dot, minor = value.partition(".")
        if major.isascii() and major.isdigit() and (not dot or (minor.isascii() and minor.isdigit())):
            return int(major), int(minor or 0)
    return None


def record_for(ep):
    dist = getattr(ep, "dist", None)
    return PluginRecord(
        name=ep.name,
        value=ep.value,
        distribution=dist.metadata["Name"] if dist else None,
        version=dist.version if dist else None,
    )


def _location(ep):
    roots = provenance.plugin_roots(ep)
    return roots[0] if roots else None


def _describe(exc):
    text = str(exc).strip()
    if isinstance(exc, (ContentError, ConfigurationError)) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _info_location(action):
    info = action.get("info")
    return (info.file, info.line) if getattr(info, "file", None) else None


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


__all__ = ["ENTRY_POINT_GROUP", "PLUGIN_API_VERSION", "PLUGIN_CONTRACT", "RESERVED_NAMES",
           "SUPPORTED_API_VERSIONS", "PluginError", "PluginLoader", "PluginRecord", "Plugins",
           "discover", "forget", "plugin_of"]
