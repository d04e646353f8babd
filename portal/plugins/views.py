"""``/-/plugins`` and ``/-/plugins.json``: what is installed, what loaded, and what failed."""

from pyramid.view import view_config

from ..resources import Backstage
from .loader import PLUGIN_API_VERSION, SUPPORTED_API_VERSIONS


def plugin_table(request):
    return [rec.as_json() for rec in request.registry.portal_plugins]


@view_config(context=Backstage, name="plugins", renderer="plugins.jinja2",
             request_method=("GET", "HEAD"), permission="view")
def plugins_page(context, request):
    return {"plugins": plugin_table(request)}


@view_config(context=Backstage, name="plugins.json", renderer="json",
             request_method=("GET", "HEAD"), permission="view")
def plugins_json(context, request):
    return {
        "api_version": PLUGIN_API_VERSION,
        "api_versions": list(SUPPORTED_API_VERSIONS),
        "plugins": plugin_table(request),
    }
