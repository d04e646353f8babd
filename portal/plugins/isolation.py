"""Runtime isolation: a plugin that raises while the portal answers a request loses that
one contribution, never the page, never its section's content, never another section.

A plugin takes part in a request in three ways, each guarded here, each contribution with
a circuit breaker of its own (``portal.plugins.breakers``):

- its views (``config.add_view``, or ``@view_config`` found by ``config.scan()``): a view
  deriver wraps every view a plugin's package registers. When one raises, it steps aside
  (``PredicateMismatch``) so the next view for the same context answers: the core's page
  view when the plugin only overrode it for its section. When no other view can answer,
  the reader gets a 503 page naming the plugin (with ``Retry-After`` once switched off),
  never a 500.
- its subscribers: each is wrapped once the plugin is committed. One that raises is
  skipped, and whatever it had added to the event's dict (``PageRendered.value``,
  Pyramid's ``BeforeRender``) is taken back out.
- its templates: a plugin's template that raises while rendering is left out, that file
  alone, and the page is rendered again from the folders behind it (the core's template
  in the end).

Every failure is logged with the plugin's name. ``portal.plugins.failure_threshold``
failures of one contribution within ``portal.plugins.failure_window`` seconds switch that
contribution off for ``portal.plugins.cooldown`` seconds; then one request tries it again,
and it is back if that request succeeds. The section's Markdown pages are the core's views
over the plugin's content: they are never switched off.
"""

import contextvars
import logging
import os
import threading

import jinja2
from pyramid.exceptions import PredicateMismatch
from pyramid.httpexceptions import HTTPException
from pyramid_jinja2 import IJinja2Environment, SmartAssetSpecLoader

from ..http.predicates import add_boolean_predicate
from ..http.retry import is_transient
from .breakers import Breaker, Policy
from .provenance import describe, function_location

log = logging.getLogger(__name__)

# The breakers of the contributions that failed or stepped aside while answering one
# request (WSGI environ key): the 503 page names their plugins.
FAILED_KEY = "portal.failed_plugins"


class PluginStepsAside(PredicateMismatch):
    """A plugin's view failed or is switched off: Pyramid tries the next view for the
    context, as it does when a view's predicates do not match."""

    def __init__(self, breaker):
        super().__init__(f"{breaker.rec.label}: {breaker.what} is not answering")
        self.breaker = breaker
        self.plugin = breaker.rec


class PluginHealth:
    """The circuit breakers of every plugin contribution, on ``registry.portal_health``;
    shared by the threads of one process, forgotten when it restarts."""

    def __init__(self, registry, policy):
        self.registry = registry
        self.policy = policy
        self.lock = threading.Lock()
        self.templates = {}  # absolute template file -> Breaker
        self.template_folders = {}  # absolute folder -> plugin record

    @property
    def clock(self):
        return self.registry.portal_clock

    def breaker(self, rec, kind, name, where=None):
        breaker = Breaker(rec, kind, name, self.policy, self.clock, where)
        rec.contributions.append(breaker)
        return breaker

    def add_templates(self, rec, spec, folder, names):
        with self.lock:
            self.template_folders[folder] = rec
            for name in names:
                file = os.path.join(folder, name)
                self.templates[file] = self.breaker(rec, "template", f"{spec.rstrip('/')}/{name}", file)

    def template_breaker(self, file):
        """The breaker of a plugin's template ``file`` (made on first failure for a file
        that was not there at start-up)."""
        breaker = self.templates.get(file)
        if breaker is None:
            for folder, rec in self.template_folders.items():
                if file.startswith(folder.rstrip(os.sep) + os.sep):
                    with self.lock:
                        breaker = self.templates.get(file) or self.breaker(
                            rec, "template", os.path.relpath(file, folder), file)
                        self.templates[file] = breaker
                    break
        return breaker

    def forget(self, rec):
        """A plugin failed at start-up: none of its templates are used."""
        with self.lock:
            self.templates = {f: b for f, b in self.templates.items() if b.rec is not rec}
            self.template_folders = {f: r for f, r in self.template_folders.items() if r is not rec}

    def failed(self, breaker, request, exc, detail=""):
        """Log and count one failure; the breaker switches the contribution off at the
        threshold."""
        if getattr(exc, "_portal_counted", False):
            return  # already counted where it was raised (a template inside a view)
        try:
            exc._portal_counted = True
        except AttributeError:
            pass
        if request is not None:
            _note(request, breaker)
        rec = breaker.rec
        where = f" on {request.method} {request.path_qs}" if request is not None else ""
        tripped = breaker.failed(f"{type(exc).__name__}: {exc}".strip().rstrip(":"))
        log.error("%s: %s failed%s%s; left out of the page", rec.label, breaker.what, where,
                  detail, exc_info=exc)
        if tripped:
            log.error(
                "%s: %s switched off after %d failures within %d s; tried again after %d s "
                "(its section's pages keep serving)",
                rec.label, breaker.what, self.policy.threshold, self.policy.window,
                self.policy.cooldown)

    def step_aside(self, breaker, request):
        """Note that ``breaker``'s contribution did not answer this request."""
        _note(request, breaker)
        return PluginStepsAside(breaker)


def _note(request, breaker):
    failed = request.environ.setdefault(FAILED_KEY, [])
    if breaker not in failed:
        failed.append(breaker)


def _close(breaker, admitted):
    if admitted == "trial":
        breaker.succeeded()
        log.warning("%s: %s answered again after its cool-down; switched back on",
                    breaker.rec.label, breaker.what)


# Views --------------------------------------------------------------------------------


def plugin_view(view, info):
    """View deriver: guard the views a plugin's package registers, whichever way (the
    registering package is ``info.package``, the plugin the longest match of it)."""
    plugins = getattr(info.registry, "portal_plugins", None)
    rec = plugins.plugin_for_package(info.package) if plugins is not None else None
    if rec is None:
        return view
    health = info.registry.portal_health
    original = info.original_view
    name = describe(original) + (f" @@{info.options['name']}" if info.options.get("name") else "")
    breaker = health.breaker(rec, "view", name, function_location(original))
    rec.views.append((original, dict(info.options), breaker))

    def plugin_guarded_view(context, request):
        if rec.status != "loaded":
            # Failed at start-up after this view was registered: as if it were not there.
            raise PredicateMismatch(f"{rec.label} is not loaded")
        admitted = breaker.admit()
        if not admitted:
            raise health.step_aside(breaker, request)
        try:
            response = view(context, request)
        except PredicateMismatch:
            if admitted == "trial":
                breaker.release()
            raise
        except HTTPException:
            _close(breaker, admitted)
            raise  # an answer (redirect, 404, 403)
        except Exception as exc:
            if is_transient(exc):
                if admitted == "trial":
                    breaker.release()
                raise  # the database was busy, not the plugin: pyramid_retry runs it again
            health.failed(breaker, request, exc)
            raise health.step_aside(breaker, request) from exc
        _close(breaker, admitted)
        return response

    return plugin_guarded_view


# Subscribers --------------------------------------------------------------------------


def guard_subscribers(registry, rec, introspectables):
    """Replace the handlers ``rec`` registered with guarded ones (after its commit)."""
    health = registry.portal_health
    for intr in introspectables:
        if intr.category_name != "subscribers" or intr.get("derived_subscriber") is None:
            continue
        derived, ifaces = intr["derived_subscriber"], intr["interfaces"]
        subscriber = intr["subscriber"]
        events = ", ".join(describe(i).rpartition(".")[2] for i in ifaces)
        breaker = health.breaker(rec, "subscriber", f"{describe(subscriber)} ({events})",
                                 function_location(subscriber))
        guarded = _guarded_subscriber(health, breaker, derived)
        registry.unregisterHandler(derived, ifaces)
        registry.registerHandler(guarded, ifaces)
        intr["derived_subscriber"] = guarded


def _guarded_subscriber(health, breaker, derived):
    rec = breaker.rec

    def plugin_guarded_subscriber(*args):
        if rec.status != "loaded":
            return None
        admitted = breaker.admit()
        if not admitted:
            return None
        event = args[-1]
        contribution = _contribution(event)
        before = dict(contribution) if contribution is not None else None
        try:
            result = derived(*args)
        except HTTPException:
            _close(breaker, admitted)
            raise  # a deliberate answer (redirect, 403...)
        except Exception as exc:
            if before is not None:  # take back what it had added before failing
                contribution.clear()
                contribution.update(before)
            request = getattr(event, "request", None)
            if request is None and isinstance(event, dict):
                request = event.get("request")
            if is_transient(exc):
                if admitted == "trial":
                    breaker.release()
                raise
            health.failed(breaker, request, exc)
            return None
        _close(breaker, admitted)
        return result

    plugin_guarded_subscriber.__wrapped__ = derived
    return plugin_guarded_subscriber


def _contribution(event):
    """The dict a subscriber adds to: ``BeforeRender`` is one, ``PageRendered`` has one."""
    if isinstance(event, dict):
        return event
    value = getattr(event, "value", None)
    return value if isinstance(value, dict) else None


# Templates ----------------------------------------------------------------------------

# The template files one render loaded (its template, what it extends, includes, imports):
# a template trying again after its cool-down has succeeded only if it was used.
_LOADED = contextvars.ContextVar("portal_loaded_templates", default=None)


def _track_loads(env):
    """Record in ``_LOADED`` every template ``env`` hands out (cached or not)."""
    env.__dict__.pop("_load_template", None)  # an overlay copied its parent's
    load = env._load_template

    def tracking_load(name, globals):
        template = load(name, globals)
        seen = _LOADED.get()
        if seen is not None and template.filename:
            seen.add(template.filename)
        return template

    env._load_template = tracking_load


class _SkippingLoader(SmartAssetSpecLoader):
    """Finds templates as the portal's loader does, except the files in ``excluded``."""

    def __init__(self, searchpath, excluded, encoding="utf-8", debug=False):
        super().__init__(searchpath, encoding=encoding, debug=debug)
        self.excluded = excluded

    def _get_absolute_source(self, template):
        found = super()._get_absolute_source(template)
        if found is not None and os.path.abspath(found[1]) in self.excluded:
            return None
        return found

    def get_source(self, environment, template):
        searchpath = list(self.searchpath)
        while True:
            loader = self if searchpath == self.searchpath else _SkippingLoader(
                searchpath, self.excluded, self.encoding, self.debug)
            source, filename, uptodate = SmartAssetSpecLoader.get_source(loader, environment, template)
            filename = os.path.abspath(filename)
            if filename not in self.excluded:
                return source, filename, uptodate
            # Found on the search path in a folder whose file is left out: look behind it.
            folder = next((p for p in searchpath if filename.startswith(p.rstrip(os.sep) + os.sep)), None)
            if folder is None:
                raise jinja2.TemplateNotFound(template)
            searchpath.remove(folder)


class GuardedTemplate(jinja2.Template):
    """The template class of the portal's Jinja2 environment: rendering goes through the
    ``TemplateGuard``, which leaves out plugins' templates that fail."""

    def render(self, *args, **kwargs):
        guard = getattr(self.environment, "portal_guard", None)
        if guard is None:
            return super().render(*args, **kwargs)
        return guard.render(self, args, kwargs)


class TemplateGuard:
    def __init__(self, registry, env):
        self.registry = registry
        self.env = env
        self.envs = {}  # frozenset of left-out files -> environment without them
        self.lock = threading.Lock()

    def without(self, files):
        """An environment like the portal's that never uses the template ``files``."""
        with self.lock:
            env = self.envs.get(files)
            if env is None:
                loader = self.env.loader
                env = self.env.overlay(loader=_SkippingLoader(
                    list(loader.searchpath), files, encoding=loader.encoding,
                    debug=getattr(loader, "debug", False)))
                _track_loads(env)
                self.envs[files] = env
            return env

    def render(self, template, args, kwargs):
        health = self.registry.portal_health
        breakers = dict(health.templates)
        if not breakers:
            return jinja2.Template.render(template, *args, **kwargs)
        left_out, trials = set(), {}
        for file, breaker in breakers.items():
            admitted = breaker.admit()
            if not admitted:
                left_out.add(file)
            elif admitted == "trial":
                trials[file] = breaker
        values = args[0] if args and isinstance(args[0], dict) else kwargs
        request = values.get("request")
        seen = set()
        token = _LOADED.set(seen)
        error = None
        try:
            while True:
                current = template
                if left_out:
                    try:
                        current = self.without(frozenset(left_out)).get_template(template.name)
                    except jinja2.TemplateNotFound:
                        if error is None:
                            raise
                        raise error from None  # a plugin's own template: nothing to fall back to
                seen.clear()
                if current.filename:
                    seen.add(current.filename)
                try:
                    html = jinja2.Template.render(current, *args, **kwargs)
                except Exception as exc:
                    file = _culprit(exc, health, left_out)
                    if file is None:
                        raise
                    breaker = health.template_breaker(file)
                    trials.pop(file, None)
                    health.failed(breaker, request, exc, detail=f" (at {_template_line(exc, file)})")
                    left_out.add(file)
                    error = exc
                    continue
                for file, breaker in list(trials.items()):
                    if file in seen:
                        _close(breaker, "trial")
                        del trials[file]
                return html
        finally:
            _LOADED.reset(token)
            for breaker in trials.values():
                breaker.release()  # not used by this page: another request may try it


def _culprit(exc, health, left_out):
    """The plugin template file of the innermost template frame of ``exc``'s traceback
    (Jinja2 puts each template's file and line into the traceback)."""
    files = [getattr(exc, "filename", None)]
    tb = exc.__traceback__
    while tb is not None:
        files.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    for file in reversed([f for f in files if f]):
        file = os.path.abspath(file)
        if file not in left_out and health.template_breaker(file) is not None:
            return file
    return None


def _template_line(exc, file):
    tb, found = exc.__traceback__, None
    while tb is not None:
        if os.path.abspath(tb.tb_frame.f_code.co_filename) == file:
            found = f"{file}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found or file


def install_template_guard(registry):
    env = registry.queryUtility(IJinja2Environment, name=".jinja2")
    if env is None:
        return
    env.template_class = GuardedTemplate
    env.portal_guard = TemplateGuard(registry, env)
    _track_loads(env)
    env.cache.clear()


def includeme(config):
    settings = config.get_settings()
    config.registry.portal_health = PluginHealth(config.registry, Policy(
        threshold=settings.get("portal.plugins.failure_threshold", 5),
        window=settings.get("portal.plugins.failure_window", 600),
        cooldown=settings.get("portal.plugins.cooldown", 60),
    ))
    config.add_view_deriver(plugin_view)
    # plugin_failed=True: a plugin's view failed or stepped aside during this request (an
    # exception view predicate: the 503 page instead of a 404 when no view was left).
    add_boolean_predicate(config, "plugin_failed",
                          lambda context, request: request.environ.get(FAILED_KEY))
    # After pyramid_jinja2 made its environment (its own actions run in phases 0 and 1).
    config.action(None, install_template_guard, args=(config.registry,), order=2)


__all__ = ["FAILED_KEY", "PluginHealth", "PluginStepsAside", "TemplateGuard",
           "guard_subscribers", "plugin_view"]
