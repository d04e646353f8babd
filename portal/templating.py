"""Jinja2 set-up: the core's templates are found by name on a search path that plugins
can prepend to (``config.add_portal_templates``), so a plugin overrides a template by
shipping one with the same name."""

import mimetypes

from pyramid.events import BeforeRender

from .content.theme import theme_of


def add_globals(event):
    request = event["request"]
    if request is None:
        return
    event.setdefault("site_name", request.registry.settings["portal.site_name"])
    event.setdefault("root", request.site_root)
    event.setdefault("theme", theme_of(request))


def includeme(config):
    # The web app manifest's own type (Python's table does not know it).
    mimetypes.add_type("application/manifest+json", ".webmanifest")
    config.add_jinja2_search_path("portal:templates", name=".jinja2")
    config.add_subscriber(add_globals, BeforeRender)
    # Long-lived, with cache-busting URLs (portal.caching).
    config.add_busted_static_view("-/static/portal", "portal:static")
