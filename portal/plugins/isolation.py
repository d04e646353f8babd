"""Runtime isolation: a plugin that raises while the portal answers a request loses its
own contribution to the page, never the page, and never another section.

A plugin takes part in a request in three ways, each guarded here:

- its views (``config.add_view`` or ``@view_config`` in its ``includeme``): a view
  deriver wraps every view a plugin registers. When one raises, the view steps aside
  (``PredicateMismatch``), so the next view for the same context answers: the core's page
  view when the plugin only overrode it for its section (``section="acme"``). When no
  other view can answer, the reader gets a 503 page naming the plugin, not a 500.
- its subscribers: each is wrapped once the plugin is committed. One that raises is
  skipped, and whatever it had added to the event's dict (``PageRendered.value``,
  Pyramid's ``BeforeRender``) is taken back out.
- its template overrides: a template from a plugin's folder that raises while rendering
  is rendered again from the folders without it, which ends with the core's template.

Every failure is logged with the plugin's name. A plugin that fails
``portal.plugins.failure_threshold`` times within ``portal.plugins.failure_window``
seconds is switched off until the process restarts: its sections leave the navigation
and answer 503, and its views, subscribers and templates are no longer used.
"""

import collections
import logging
import os
import threading

import jinja2
from pyramid.events import ContextFound
from pyramid.exceptions import PredicateMismatch
from pyramid.httpexceptions import HTTPException, HTTPServiceUnavailable
from pyramid_jinja2 import IJinja2Environment, SmartAssetSpecLoader

from ..http.predicates import add_boolean_predicate
from ..http.retry import is_transient
from .provenance import describe

log = logging.getLogger(__name__)

# The plugins that failed or stepped aside while answering one request (WSGI environ key).
FAILED_KEY = "portal.failed_plugins"


class PluginStepsAside(PredicateMismatch):
    """A plugin's view failed or its plugin is not serving: Pyramid tries the next view
    for the context, as it does when a view's predicates do not match."""

    def __init__(self, rec):
        super().__init__(f"{rec.label} is not answering")
        self.plugin = rec


class PluginUnavailable(HTTPServiceUnavailable):
    """A switched-off plugin's section was asked for."""

    def __init__(self, rec):
        super().__init__(f"{rec.label} is switched off after repeated failures")
        self.plugin = rec


class PluginHealth:
    """Failures per plugin, on ``registry.portal_health``; shared by the threads of one
    process and forgotten when it restarts."""

    def __init__(self, registry, threshold, window):
        self.registry = registry
        self.threshold = threshold
        self.window = window
        self.lock = threading.Lock()
        self.times = collections.defaultdict(collections.deque)

    @staticmethod
    def serving(rec):
        return rec.status == "loaded" and not rec.switched_off

    def failed(self, rec, what, request, exc):
        """Log and count one failure of ``rec``; switch it off at the threshold."""
        if getattr(exc, "_portal_counted", False):
            return  # already counted where it was raised (a template inside a view)
        try:
            exc._portal_counted = True
        except AttributeError:
            pass
        if request is not None:
            failed = request.environ.setdefault(FAILED_KEY, [])
            if rec not in failed:
                failed.append(rec)
        where = f" on {request.method} {request.path_qs}" if request is not None else ""
        now = self.registry.portal_clock.monotonic()
        with self.lock:
            rec.failures += 1
            rec.last_failure = f"{what}: {type(exc).__name__}: {exc}".strip()
            times = self.times[rec.name]
            times.append(now)
            while self.window and times and now - times[0] > self.window:
                times.popleft()
            trip = bool(self.threshold) and len(times) >= self.threshold and not rec.switched_off
            if trip:
                rec.switched_off = True
        log.error("%s: %s failed%s; left out of the page", rec.label, what, where, exc_info=exc)
        if trip:
            hidden = getattr(self.registry, "portal_root", None)
            if hidden is not None:
                hidden.switched_off.update(rec.sections)
            log.error(
                "%s: switched off after %d failures within %d s: its sections answer 503 "
                "and its views, subscribers and templates are not used until the portal restarts",
                rec.label, len(times), self.window,
            )

    def step_aside(self, rec, request):
        """Note that ``rec`` did not answer this request (for the 503 page if nothing did)."""
        failed = request.environ.setdefault(FAILED_KEY, [])
        if rec not in failed:
            failed.append(rec)
        return PluginStepsAside(rec)


# Views --------------------------------------------------------------------------------


def plugin_view(view, info):
    """View deriver: guard the views a plugin registers. The loader commits each plugin on
    its own with ``registry.portal_plugins.current`` set, so the plugin is known here."""
    plugins = getattr(info.registry, "portal_plugins", None)
    rec = plugins.current if plugins is not None else None
    if rec is None:
        return view
    health = info.registry.portal_health
    what = f"view {describe(info.original_view)}"

    def plugin_guarded_view(context, request):
        if not health.serving(rec):
            raise health.step_aside(rec, request)
        try:
            return view(context, request)
        except HTTPException:
            raise  # an answer (redirect, 404, 403) or "not me" (PredicateMismatch)
        except Exception as exc:
            if is_transient(exc):
                raise  # the database was busy, not the plugin: pyramid_retry runs it again
            health.failed(rec, what, request, exc)
            raise health.step_aside(rec, request) from exc

    return plugin_guarded_view


def refuse_switched_off(event):
    """A switched-off plugin's sections answer 503 (``ContextFound`` subscriber)."""
    request = event.request
    section = getattr(request.context, "section", None)
    plugin = getattr(section, "plugin", None)
    if plugin is None:
        return
    rec = request.registry.portal_plugins.records.get(plugin)
    if rec is not None and rec.switched_off:
        raise PluginUnavailable(rec)


# Subscribers --------------------------------------------------------------------------


def guard_subscribers(registry, rec, introspectables):
    """Replace the handlers ``rec`` registered with guarded ones (after its commit)."""
    health = registry.portal_health
    for intr in introspectables:
        if intr.category_name != "subscribers" or intr.get("derived_subscriber") is None:
            continue
        derived, ifaces = intr["derived_subscriber"], intr["interfaces"]
        guarded = _guarded_subscriber(health, rec, derived, f"subscriber {describe(intr['subscriber'])}")
        registry.unregisterHandler(derived, ifaces)
        registry.registerHandler(guarded, ifaces)
        intr["derived_subscriber"] = guarded


def _guarded_subscriber(health, rec, derived, what):
    def plugin_guarded_subscriber(*args):
        if not health.serving(rec):
            return None
        event = args[-1]
        contribution = _contribution(event)
        before = dict(contribution) if contribution is not None else None
        try:
            return derived(*args)
        except HTTPException:
            raise  # a deliberate answer (redirect, 403...)
        except Exception as exc:
            if before is not None:  # take back what it had added before failing
                contribution.clear()
                contribution.update(before)
            request = getattr(event, "request", None)
            if request is None and isinstance(event, dict):
                request = event.get("request")
            health.failed(rec, f"{what} of {type(event).__name__}", request, exc)
            return None

    plugin_guarded_subscriber.__wrapped__ = derived
    return plugin_guarded_subscriber


def _contribution(event):
    """The dict a subscriber adds to: ``BeforeRender`` is one, ``PageRendered`` has one."""
    if isinstance(event, dict):
        return event
    value = getattr(event, "value", None)
    return value if isinstance(value, dict) else None


# Templates ----------------------------------------------------------------------------


class GuardedTemplate(jinja2.Template):
    """The template class of the portal's Jinja2 environment: rendering goes through the
    ``TemplateGuard``, which leaves out plugins' overrides that fail."""

    def render(self, *args, **kwargs):
        guard = getattr(self.environment, "portal_guard", None)
        if guard is None:
            return super().render(*args, **kwargs)
        return guard.render(self, args, kwargs)


class TemplateGuard:
    def __init__(self, registry, env):
        self.registry = registry
        self.env = env
        self.envs = {}  # frozenset of left-out folders -> environment without them
        self.lock = threading.Lock()

    def owners(self):
        return {path: rec for rec in self.registry.portal_plugins for path in rec.template_paths}

    def without(self, folders):
        """An environment like the portal's whose search path leaves out ``folders``."""
        with self.lock:
            env = self.envs.get(folders)
            if env is None:
                loader = self.env.loader
                kept = [p for p in loader.searchpath if p not in folders]
                env = self.env.overlay(loader=SmartAssetSpecLoader(
                    kept, encoding=loader.encoding, debug=getattr(loader, "debug", False)))
                self.envs[folders] = env
            return env

    def render(self, template, args, kwargs):
        owners = self.owners()
        if not owners:
            return jinja2.Template.render(template, *args, **kwargs)
        health = self.registry.portal_health
        left_out = frozenset(p for p, rec in owners.items() if not health.serving(rec))
        values = args[0] if args and isinstance(args[0], dict) else kwargs
        request = values.get("request")
        error = None
        while True:
            try:
                current = self.without(left_out).get_template(template.name) if left_out else template
            except jinja2.TemplateNotFound:
                if error is None:
                    raise
                raise error from None  # a plugin's own template: nothing to fall back to
            try:
                return jinja2.Template.render(current, *args, **kwargs)
            except Exception as exc:
                folder = _culprit(exc, owners, left_out)
                if folder is None:
                    raise
                rec = owners[folder]
                health.failed(rec, f"template {_template_file(exc, folder)}", request, exc)
                left_out |= {p for p, r in owners.items() if r is rec}
                error = exc


def _culprit(exc, owners, left_out):
    """The plugin template folder of the innermost template frame of ``exc``'s traceback
    (Jinja2 puts each template's file and line into the traceback)."""
    files = [getattr(exc, "filename", None)]
    tb = exc.__traceback__
    while tb is not None:
        files.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    for file in reversed([f for f in files if f]):
        for folder in owners:
            if folder not in left_out and file.startswith(folder.rstrip(os.sep) + os.sep):
                return folder
    return None


def _template_file(exc, folder):
    tb, found = exc.__traceback__, None
    while tb is not None:
        file = tb.tb_frame.f_code.co_filename
        if file.startswith(folder):
            found = f"{file}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found or folder


def install_template_guard(registry):
    env = registry.queryUtility(IJinja2Environment, name=".jinja2")
    if env is None:
        return
    env.template_class = GuardedTemplate
    env.portal_guard = TemplateGuard(registry, env)
    env.cache.clear()


def includeme(config):
    settings = config.get_settings()
    config.registry.portal_health = PluginHealth(
        config.registry,
        threshold=settings.get("portal.plugins.failure_threshold", 5),
        window=settings.get("portal.plugins.failure_window", 600),
    )
    config.add_view_deriver(plugin_view)
    # plugin_failed=True: a plugin failed or stepped aside during this request (an
    # exception view predicate: the 503 page instead of a 404 when no view was left).
    add_boolean_predicate(config, "plugin_failed",
                          lambda context, request: request.environ.get(FAILED_KEY))
    config.add_subscriber(refuse_switched_off, ContextFound)
    # After pyramid_jinja2 made its environment (its own actions run in phases 0 and 1).
    config.action(None, install_template_guard, args=(config.registry,), order=2)
