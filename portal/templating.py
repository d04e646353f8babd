"""Jinja2 set-up: the core's templates are found by name on a search path that plugins
can prepend to (``config.add_portal_templates``), so a plugin overrides a template by
shipping one with the same name."""

import mimetypes

import jinja2
from pyramid.events import BeforeRender
from pyramid_jinja2 import ENV_CONFIG_PHASE, IJinja2Environment, SmartAssetSpecLoader

from .content.theme import theme_of


class TemplateLoader(SmartAssetSpecLoader):
    """pyramid_jinja2's loader, remembering the asset specifications it did not find.

    A view in ``portal.content`` with ``renderer="page.jinja2"`` is looked up first as
    ``portal.content:page.jinja2``, then on the search path; Jinja2 caches what it finds,
    not what it misses, so without this every render paid the failed look-up again (file
    system checks and an exception). Asset specifications resolve the same way for the
    process's life unless templates are reloaded, so their misses are kept then only."""

    def __init__(self, searchpath=(), encoding="utf-8", debug=False):
        super().__init__(searchpath, encoding=encoding, debug=debug)
        self.missing = set()

    def get_source(self, environment, template):
        if template in self.missing:
            raise jinja2.TemplateNotFound(template)
        try:
            return super().get_source(environment, template)
        except jinja2.TemplateNotFound:
            if ":" in template and not environment.auto_reload:
                self.missing.add(template)
            raise


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

    def use_template_loader():
        # After pyramid_jinja2 made the environment, before any search path is added.
        env = config.registry.getUtility(IJinja2Environment, name=".jinja2")
        loader = env.loader
        env.loader = TemplateLoader(loader.searchpath, encoding=loader.encoding,
                                    debug=getattr(loader, "debug", False))

    config.action(None, use_template_loader, order=ENV_CONFIG_PHASE)
    config.add_subscriber(add_globals, BeforeRender)
    # Long-lived, with cache-busting URLs (portal.caching).
    config.add_busted_static_view("-/static/portal", "portal:static")
