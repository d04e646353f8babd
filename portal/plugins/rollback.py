"""Undoing what a failed plugin registered, so a failed plugin keeps nothing.

A plugin is committed on its own (``PluginLoader.commit``). When its commit fails halfway,
the actions that ran before the failure have already changed the registry: views,
subscribers and utilities registered, routes connected (a static folder is a route and a
view), static URLs and cache busters added, a template folder put on the search path,
introspectables recorded. ``RegistrySnapshot`` is taken before the commit and puts every
one of those back as it was.

A view that joined one of Pyramid's multi-views (several views for one context and name)
changes that multi-view in place, so it cannot be taken out again; it stays there inert:
the guard of ``portal.plugins.isolation`` makes a failed plugin's views step aside.
"""

from pyramid.interfaces import IRoutesMapper, IStaticURLInfo
from pyramid.registry import undefer
from pyramid_jinja2 import IJinja2Environment


def _adapter_key(reg):
    return tuple(reg.required), reg.provided, reg.name


def _handler_key(reg):
    return reg.handler, tuple(reg.required)


class RegistrySnapshot:
    """The parts of ``registry`` a configuration commit changes, as they are now."""

    def __init__(self, registry):
        self.registry = registry
        self.adapters = {_adapter_key(r): r.factory for r in registry.registeredAdapters()}
        self.subscription_adapters = {(_adapter_key(r), r.factory)
                                      for r in registry.registeredSubscriptionAdapters()}
        self.utilities = {(r.provided, r.name): r.component for r in registry.registeredUtilities()}
        self.handlers = {_handler_key(r) for r in registry.registeredHandlers()}
        self.settings = dict(registry.settings or {})
        mapper = registry.queryUtility(IRoutesMapper)
        self.routes = (mapper, dict(mapper.routes), list(mapper.routelist),
                       list(mapper.static_routes)) if mapper is not None else None
        info = registry.queryUtility(IStaticURLInfo)
        self.static = (info, list(info.registrations), list(info.cache_busters)) if info else None
        env = registry.queryUtility(IJinja2Environment, name=".jinja2")
        self.searchpath = (env, list(env.loader.searchpath)) if env is not None else None

    def restore(self, introspectables=()):
        """Put the registry back as it was when the snapshot was taken, and forget
        ``introspectables`` (those of the failed plugin's actions)."""
        registry = self.registry
        for reg in list(registry.registeredAdapters()):
            key = _adapter_key(reg)
            before = self.adapters.get(key)
            if before is None:
                registry.unregisterAdapter(reg.factory, reg.required, reg.provided, reg.name)
            elif before is not reg.factory:
                registry.registerAdapter(before, reg.required, reg.provided, reg.name, event=False)
        for reg in list(registry.registeredSubscriptionAdapters()):
            if (_adapter_key(reg), reg.factory) not in self.subscription_adapters:
                registry.unregisterSubscriptionAdapter(reg.factory, reg.required, reg.provided, reg.name)
        for reg in list(registry.registeredUtilities()):
            before = self.utilities.get((reg.provided, reg.name), _MISSING)
            if before is _MISSING:
                registry.unregisterUtility(reg.component, reg.provided, reg.name)
            elif before is not reg.component:
                registry.registerUtility(before, reg.provided, reg.name, event=False)
        for reg in list(registry.registeredHandlers()):
            if _handler_key(reg) not in self.handlers:
                registry.unregisterHandler(reg.handler, reg.required)
        settings = registry.settings
        if settings is not None:
            for key in [k for k in settings if k not in self.settings]:
                del settings[key]
            settings.update(self.settings)
        if self.routes is not None:
            mapper, routes, routelist, static_routes = self.routes
            mapper.routes, mapper.routelist, mapper.static_routes = routes, routelist, static_routes
        if self.static is not None:
            info, registrations, busters = self.static
            info.registrations[:] = registrations
            info.cache_busters[:] = busters
        if self.searchpath is not None:
            env, searchpath = self.searchpath
            env.loader.searchpath[:] = searchpath
            env.cache.clear()
        forget(registry, introspectables)


def forget(registry, introspectables):
    """Take ``introspectables`` out of the registry's introspector (what ``/-/plugins``
    and Pyramid's own tools read)."""
    introspector = registry.introspector
    for intr in introspectables:
        try:
            introspector.remove(intr.category_name, undefer(intr.discriminator))
        except Exception:  # never registered (the commit failed before its action)
            pass


_MISSING = object()
