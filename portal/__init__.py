"""The portal: a documentation portal for Python backend developers, made of Pyramid and plugins.

``main`` is the paste entry point (``use = egg:backend-portal``): the .ini file's settings,
overridden by the process environment. ``make_app`` takes the environment as an argument
(none by default), so the test kit and ``portal plugin check`` build a portal from exactly
the settings they are given.
"""

import os
import warnings

# Pyramid imports pkg_resources, which warns on every start; that one warning is not ours.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)

from pyramid.config import Configurator  # noqa: E402

from .http import compression, pagecache  # noqa: E402
from .ops import memory  # noqa: E402
from .ops.settings import load_settings  # noqa: E402


def main(global_config, **settings):
    """The WSGI application of a deployment (``paste.app_factory``)."""
    # A serving process only: imports and the allocator are the whole process's
    # (portal.ops.memory), which the test kit must not change under its host.
    loaded = load_settings(settings, os.environ)
    memory.skip_unused_driver(loaded.get("sqlalchemy.url"))
    app = make_app(settings, environ=os.environ)
    memory.tune(loaded["portal.memory.arenas"])
    return app


def make_app(settings, environ=None):
    """The WSGI application: ``settings`` (as read from an .ini file), then ``environ``."""
    settings = load_settings(settings, environ or {})
    with Configurator(settings=settings) as config:
        # Plugins' own settings are overridden from it too (portal.plugins.settings).
        config.registry.portal_environ = dict(environ or {})
        config.include("pyramid_jinja2")
        config.include(".ops")  # the clock, /healthz and /readyz, pages served during an outage
        config.include(".http")  # headers, caching, the page cache, retries, error pages
        config.include(".templating")  # the layout and the core's static files
        config.include(".urls")  # url() and asset() for templates, computed once per address
        config.include(".db")  # the engine; request.dbsession joined to request.tm
        config.include(".abuse")  # per-client limits
        config.include(".moderation")  # the security policy, sessions, the moderation screens
        config.include(".resources")  # the traversal root
        config.include(".content")  # home, section and page views, sitemap
        config.include(".discussion")  # comments, ratings, feeds
        config.include(".search")  # search views; the index is built once the app is made
        config.include(".insights")  # /-/insights/ for moderators: ratings, comments, misses
        config.include(".api")  # /api/v1 and its OpenAPI document
        # Last: commits the core, then loads every plugin on its own (portal.plugins), so
        # plugins override the core instead of conflicting with it.
        config.include(".plugins")
    app = config.make_wsgi_app()
    # In front of the router: kept pages for readers without state, then compression.
    return compression.wrap(pagecache.wrap(app, config.registry), config.registry.settings)
