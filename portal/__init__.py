"""The portal: a documentation portal for Python backend developers, made of Pyramid and plugins."""

import os

from pyramid.config import Configurator

from .settings import load_settings


def main(global_config, **settings):
    """The WSGI application (``paste.app_factory``)."""
    settings = load_settings(settings, os.environ)
    with Configurator(settings=settings) as config:
        config.include("pyramid_jinja2")
        config.include(".headers")
        config.include(".caching")
        config.include(".pagecache")
        config.include(".templating")
        config.include(".security")
        config.include(".models")
        config.include(".retry")
        config.include(".resources")
        config.include(".events")
        config.include(".views.api")
        config.include(".views")
        # Last: commits the core, then loads every plugin on its own (see portal.plugins).
        config.include(".plugins")
        # After the plugins: indexes the sections they added.
        config.include(".search")
    return config.make_wsgi_app()
