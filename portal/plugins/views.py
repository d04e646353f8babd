"""``/-/plugins`` and ``/-/plugins.json``: what is installed, what loaded, what failed, and
how each plugin's contributions are doing.

Strangers get names, versions, states and sections (what a status page needs); absolute
paths, error texts and locations, tracebacks' last lines, content warnings and settings
values are for moderators (``moderate`` on the Moderation resource) and the log.
"""

from pyramid.view import view_config

from ..resources import Backstage
from .loader import PLUGIN_API_VERSION, PLUGIN_CONTRACT, SUPPORTED_API_VERSIONS


def may_see_details(request):
    moderation = request.site_root.backstage.children["moderation"]
    return bool(request.has_permission("moderate", moderation))


def plugin_table(request, full=None):
    full = may_see_details(request) if full is None else full
    return [rec.as_json(full) for rec in request.registry.portal_plugins]


@view_config(context=Backstage, name="plugins", renderer="plugins.jinja2",
             request_method=("GET", "HEAD"), permission="view")
def plugins_page(context, request):
    full = may_see_details(request)
    return {"plugins": plugin_table(request, full), "details": full}


@view_config(context=Backstage, name="plugins.json", renderer="json",
             request_method=("GET", "HEAD"), permission="view")
def plugins_json(context, request):
    full = may_see_details(request)
    return {
        "api_version": PLUGIN_API_VERSION,
        "api_versions": list(SUPPORTED_API_VERSIONS),
        "contract": PLUGIN_CONTRACT,
        "details": "moderator" if full else "public",
        "plugins": plugin_table(request, full),
    }
