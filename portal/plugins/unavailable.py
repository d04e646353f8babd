"""The 503 page of a plugin that failed: its section is switched off, or its view failed
and no other view could answer. Readers see which section is affected and that the rest
of the portal works; the details are in the log and on ``/-/plugins``."""

from pyramid.exceptions import PredicateMismatch
from pyramid.view import exception_view_config

from ..http.errors import wants_json
from .isolation import FAILED_KEY, PluginUnavailable


def _answer(request, recs, switched_off):
    request.response.status = 503
    names = [rec.name for rec in recs]
    if wants_json(request):
        request.override_renderer = "json"
        return {"error": "a plugin of this portal failed", "status": 503, "plugins": names}
    sections = [request.site_root[name] for rec in recs for name in rec.sections
                if name in request.site_root.sections]
    return {"plugins": recs, "sections": sections, "switched_off": switched_off}


@exception_view_config(PluginUnavailable, renderer="plugin_unavailable.jinja2")
def section_switched_off(exc, request):
    return _answer(request, [exc.plugin], switched_off=True)


@exception_view_config(PredicateMismatch, plugin_failed=True, renderer="plugin_unavailable.jinja2")
def plugin_view_failed(exc, request):
    recs = request.environ[FAILED_KEY]
    return _answer(request, recs, switched_off=any(rec.switched_off for rec in recs))
