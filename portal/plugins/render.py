"""``portal plugin check --render``: ask the real application for every page of a plugin's
sections and every named view it registered, as a reader's browser would (``GET``), and
report every answer that is not 2xx at the page's file or the view's registration."""

from webob import Request

from ..content import Problem

CONTEXTS = {"portal.resources.Section": "section", "portal.resources.Page": "page",
            "portal.resources.Node": "any", None: "any"}


def get(app, path):
    request = Request.blank(path, environ={"REMOTE_ADDR": "192.0.2.1"},
                            headers={"Accept": "text/html,application/json;q=0.9,*/*;q=0.8"})
    return request.get_response(app)


def render_plugins(app, recs):
    registry = app.registry
    root = registry.portal_root
    problems = []
    for rec in recs:
        if rec.status != "loaded":
            continue
        for name in rec.sections:
            for node in root[name].walk():
                path = "/" + node.key + "/"
                answer = get(app, path)
                if not 200 <= answer.status_code < 300:
                    problems.append(Problem(node.doc.source, 1, f"{rec.label}: GET {path} answered "
                                                                f"{answer.status}"))
        for entry in rec.registered:
            for path in view_paths(root, rec, entry):
                answer = get(app, path)
                if not 200 <= answer.status_code < 300:
                    problems.append(Problem(entry.get("file") or "?", entry.get("line") or 1,
                                            f"{rec.label}: view {entry['callable']}: GET {path} "
                                            f"answered {answer.status}"))
    return problems


def view_paths(root, rec, entry):
    """Where a named view of ``rec`` answers: on the landing page of each section it is
    for (its ``section=`` value, else the plugin's own sections), or on the first page
    below it for a view on ``Page``."""
    if entry.get("kind") != "view" or not entry.get("name") or entry.get("route"):
        return []
    methods = entry.get("request_methods")
    if methods and "GET" not in (methods if isinstance(methods, list) else [methods]):
        return []
    kind = CONTEXTS.get(entry.get("context"))
    if kind is None:
        return []
    paths = []
    for name in entry.get("section") or rec.sections:
        if name not in root.sections:
            continue
        section = root[name]
        node = section
        if kind == "page":
            node = next((n for n in section.walk() if n is not section), None)
            if node is None:
                continue
        paths.append("/" + node.key + "/@@" + entry["name"])
    return paths
