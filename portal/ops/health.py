"""Operational endpoints, by URL dispatch beside the traversal tree.

``/healthz``: the process answers (Kubernetes' liveness probe: a failure restarts the pod).
``/readyz``: the process can serve (the readiness probe: a failure takes the pod out of the
Service until it passes again): the database answers a query and plugin loading finished
with at least one section. Strangers learn which check failed, never why: exception text,
database hosts and plugin errors go to the log, and to a logged-in moderator. A failed plugin among working ones does not make the process
unready: restarting would not repair it and it is shown on ``/-/plugins``; only a portal
with nothing to serve is unready.
"""

import logging

from pyramid.view import view_config
from sqlalchemy import text

log = logging.getLogger(__name__)

NO_CACHE = {"Cache-Control": "no-store"}


@view_config(route_name="healthz", renderer="json", request_method=("GET", "HEAD"))
def healthz(request):
    request.response.headers.update(NO_CACHE)
    return {"status": "ok"}


def database_problem(engine):
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to answer means "not ready", with its reason
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return f"database unreachable: {type(exc).__name__}: {reason[0] if reason else ''}"
    return None


def plugins_problem(registry):
    plugins = getattr(registry, "portal_plugins", None)
    if plugins is None:
        return "plugins not loaded yet"
    if plugins.records and not plugins.sections:
        failed = ", ".join(r.name for r in plugins if r.status == "failed") or "none"
        return f"no section loaded (failed plugins: {failed}); see /-/plugins"
    return None


@view_config(route_name="readyz", renderer="json", request_method=("GET", "HEAD"))
def readyz(request):
    registry = request.registry
    checks = {
        "database": database_problem(registry["dbengine"]),
        "plugins": plugins_problem(registry),
    }
    problems = [reason for reason in checks.values() if reason]
    request.response.headers.update(NO_CACHE)
    if not problems:
        return {"status": "ok", "checks": {name: "ok" for name in checks}}
    log.warning("not ready: %s", "; ".join(problems))
    request.response.status = 503
    if not problems_for(request):
        return {"status": "unavailable",
                "checks": {name: "failed" if reason else "ok" for name, reason in checks.items()}}
    return {"status": "unavailable", "reasons": problems,
            "checks": {name: reason or "ok" for name, reason in checks.items()}}


def problems_for(request):
    """Whether this caller may read why (a logged-in moderator); never asks the database
    for a caller without a session cookie (the probes)."""
    if "portal_session" not in request.cookies:
        return False
    moderation = request.site_root.backstage.children["moderation"]
    return bool(request.has_permission("moderate", moderation))


def includeme(config):
    config.add_route("healthz", "/healthz")
    config.add_route("readyz", "/readyz")
