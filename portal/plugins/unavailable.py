"""The 503 page of a plugin's view that failed or is switched off, when no other view
could answer (a named view of the plugin's own, say). Readers see what is affected and
that the rest of the portal, the section's own pages included, works; the details are in
the log and on ``/-/plugins``."""

from pyramid.exceptions import PredicateMismatch
from pyramid.view import exception_view_config

from ..http.errors import wants_json
from .isolation import FAILED_KEY


@exception_view_config(PredicateMismatch, plugin_failed=True, renderer="plugin_unavailable.jinja2")
def plugin_view_failed(exc, request):
    breakers = request.environ[FAILED_KEY]
    recs = list(dict.fromkeys(b.rec for b in breakers))
    retry = [b.retry_in() for b in breakers if b.retry_in() is not None]
    request.response.status = 503
    if retry:
        request.response.headers["Retry-After"] = str(max(1, max(retry)))
    names = [rec.name for rec in recs]
    if wants_json(request):
        request.override_renderer = "json"
        return {"error": "a plugin of this portal failed", "status": 503, "plugins": names}
    sections = [request.site_root[name] for rec in recs for name in rec.sections
                if name in request.site_root.sections]
    return {"plugins": recs, "sections": sections, "retry_in": max(retry) if retry else None}
