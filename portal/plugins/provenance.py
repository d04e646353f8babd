"""Provenance: what each plugin registered and where, and where its failures come from.

``registrations`` reads the introspectables of the configuration actions a plugin recorded
(Pyramid's introspection system: the same objects ``registry.introspector`` holds) and
the action info Pyramid captured at each call, so ``/-/plugins.json`` can say "view
``portal_acme.views.stats`` on ``Section``, registered at ``portal_acme.views:12``".
The ``*_location`` functions answer "which file and line should the author open" for a
plugin that failed to load; ``portal plugin check`` prints them as ``file:line:``.
"""

import importlib.util
import inspect
import os
import sys
import traceback

from pyramid.static import static_view

# Introspectable category -> the kind /-/plugins.json calls it.
KINDS = {
    "portal sections": "section",
    "static views": "static",
    "portal templates": "templates",
    "views": "view",
    "subscribers": "subscriber",
    "routes": "route",
    "portal settings": "setting",
    "portal search terms": "search terms",  # portal.search.vocabulary
}


def registrations(actions):
    """What the configuration ``actions`` of one plugin registered, in the order recorded."""
    modules = _modules_by_file()
    found = []
    for action in actions:
        info = action.get("info")
        for intr in action.get("introspectables", ()):
            entry = _entry(intr)
            if entry is None:
                continue
            file, line = getattr(info, "file", None), getattr(info, "line", None)
            entry["where"] = location(file, line, modules)
            entry["file"] = file
            entry["line"] = line
            found.append(entry)
    return found


def _entry(intr):
    kind = KINDS.get(intr.category_name)
    if kind is None:
        return None
    if kind == "section":
        return {"kind": kind, "name": intr.discriminator, "content": intr.get("content")}
    if kind == "static":
        return {"kind": kind, "name": "/" + intr.get("name", "").strip("/") + "/",
                "spec": intr.get("spec")}
    if kind == "templates":
        return {"kind": kind, "name": intr.discriminator, "overrides": list(intr.get("overrides", ())),
                "templates": list(intr.get("templates", ()))}
    if kind == "view":
        if isinstance(intr.get("callable"), static_view):
            return None  # part of a static path, listed as such
        methods = intr.get("request_methods")
        return {
            "kind": kind,
            "name": intr.get("name") or "",
            "callable": describe(intr.get("callable")),
            "context": describe(intr.get("context")) if intr.get("context") is not None else None,
            "route": intr.get("route_name"),
            "request_methods": sorted(methods) if isinstance(methods, (tuple, list, set)) else methods,
            "section": _names(intr.get("section")),
        }
    if kind == "setting":
        return {"kind": kind, "name": intr.discriminator, "type": intr.get("type"),
                "secret": intr.get("secret")}
    if kind == "search terms":
        return {"kind": kind, "name": intr.get("section") or "(all sections)",
                "section": intr.get("section"), "terms": sorted(intr.get("terms", ()))}
    if kind == "subscriber":
        return {"kind": kind, "name": describe(intr.get("subscriber")),
                "events": [describe(i) for i in intr.get("interfaces", ())]}
    if intr.get("name", "").startswith("__"):
        return None  # the route of a static path
    return {"kind": kind, "name": intr.get("name"), "pattern": intr.get("pattern")}


def _names(value):
    """The section names of a ``section=`` predicate value, or None without one."""
    if value is None:
        return None
    return sorted(value.split() if isinstance(value, str) else value)


def function_location(obj):
    """``file:line`` where a function or class is defined, or None."""
    obj = inspect.unwrap(obj) if callable(obj) else obj
    code = getattr(obj, "__code__", None)
    if code is not None:
        return f"{code.co_filename}:{code.co_firstlineno}"
    try:
        file = inspect.getsourcefile(obj)
        line = inspect.getsourcelines(obj)[1]
    except (TypeError, OSError):
        return None
    return f"{file}:{line}" if file else None


def describe(obj):
    """``module.qualname`` of a class or function (what a reader can search for)."""
    obj = getattr(obj, "__wrapped__", obj)
    if isinstance(obj, str):
        return obj
    module = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if module and name:
        return f"{module}.{name}"
    return repr(obj)


def _modules_by_file():
    found = {}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file:
            found[os.path.abspath(file)] = name
    return found


def location(file, line, modules=None):
    """``module:line`` for a file of an imported module, else ``file:line``."""
    if not file:
        return None
    modules = _modules_by_file() if modules is None else modules
    name = modules.get(os.path.abspath(file))
    return f"{name or file}:{line}"


# Where a failure comes from -------------------------------------------------------------


def plugin_roots(ep):
    """The folders (or file) of the package an entry point names: frames in there are
    the plugin's own code."""
    top = ep.module.split(".")[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    if spec.submodule_search_locations:
        return [os.path.abspath(p) for p in spec.submodule_search_locations]
    return [os.path.abspath(spec.origin)] if spec.origin else []


def exception_location(exc, roots):
    """(file, line) an author should open for ``exc``, or None when nothing says."""
    problems = getattr(exc, "problems", None)
    if problems:
        return problems[0].file, problems[0].line
    filename, lineno = getattr(exc, "filename", None), getattr(exc, "lineno", None)
    if isinstance(filename, str) and os.path.isabs(filename) and lineno:
        return filename, lineno  # SyntaxError, Jinja2's TemplateSyntaxError
    info = getattr(exc, "info", None)  # ConfigurationExecutionError: the failing action's call
    if getattr(info, "file", None) and _inside(info.file, roots):
        return info.file, info.line
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if _inside(frame.filename, roots):
            return frame.filename, frame.lineno
    if getattr(info, "file", None):
        return info.file, info.line
    return None


def import_location(exc, ep, roots):
    """Where to look when an entry point cannot be imported: the entry point itself when
    the module it names does not exist, else the failing line of the plugin's code."""
    missing = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
    if missing and (ep.module == missing or ep.module.startswith(missing + ".")):
        return entry_point_location(ep)
    return exception_location(exc, roots) or entry_point_location(ep)


def entry_point_location(ep):
    """(entry_points.txt, line) declaring ``ep`` in its installed distribution."""
    dist = getattr(ep, "dist", None)
    path = None
    for file in (getattr(dist, "files", None) or ()):
        if file.name == "entry_points.txt" and file.parent.name.endswith(".dist-info"):
            path = str(dist.locate_file(file))
            break
    if path is None and getattr(dist, "_path", None) is not None:
        path = str(dist._path / "entry_points.txt")
    if path is None:
        return None
    return path, _line_of(path, lambda text: text.split("=")[0].strip() == ep.name)


def assignment_location(module, name):
    """(file, line) where ``module`` assigns ``name`` (for messages about PORTAL_API)."""
    file = getattr(module, "__file__", None)
    if not file:
        return None
    return file, _line_of(file, lambda text: text.startswith(name) and "=" in text)


def _line_of(path, wanted):
    try:
        with open(path, encoding="utf-8") as f:
            for number, text in enumerate(f, start=1):
                if wanted(text.strip()):
                    return number
    except OSError:
        pass
    return 1


def _inside(file, roots):
    file = os.path.abspath(file)
    return any(file == root or file.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def format_location(where):
    return f"{where[0]}:{where[1]}" if where else None
