"""What the portal checks once every plugin is loaded, before serving anything: the
mistakes that would otherwise fail silently or only in front of a reader.

- Links from Markdown to static files (``/-/static/<name>/...``): the file must exist in
  the folder served under ``<name>``; the link then gets the file's cache-busting URL
  (``?v=<hash>``) in the page's HTML, as ``request.static_url`` gives templates.
- A view's ``section=`` value must name a section of its plugin (or of another plugin
  installed here): a typo would make the view never match.
- A view's renderer must exist: a renderer this portal has (``json``, ``string``) or a
  template that can be found.
- Links to other sections must lead to a page installed here.

Each problem is a located warning (``file:line: message``) in the plugin's
``warnings``, shown on ``/-/plugins`` and by ``portal plugin check``; the plugin keeps
loading (a warning costs nothing a reader would see, or only the view concerned).
"""

import functools
import os
from html import escape

import jinja2
from pyramid.interfaces import IRendererFactory
from pyramid.path import AssetResolver
from pyramid.renderers import RendererHelper
from pyramid_jinja2 import IJinja2Environment

from ..content import Problem
from ..content.documents import iter_documents
from ..content.links import StaticProblem


def check_loaded(registry, plugins):
    """Resolve static links and collect every loaded plugin's warnings."""
    folders = static_folders(plugins)
    for rec in plugins.loaded():
        warnings = []
        for name in rec.sections:
            section = plugins.sections[name]
            for doc in iter_documents(section.doc):
                resolve_static_links(registry, doc, folders)
                warnings.extend(doc.warnings)
                warnings.extend(site_link_problems(plugins.sections, doc))
        warnings.extend(view_problems(registry, plugins, rec))
        rec.warnings = warnings


def static_folders(plugins):
    """``{static name: absolute folder}``: the core's and every loaded plugin's."""
    folders = {"portal": AssetResolver().resolve("portal:static").abspath()}
    for rec in plugins.loaded():
        folders.update(rec.static_folders)
    return folders


def resolve_static_links(registry, doc, folders):
    """Give each static link of ``doc`` its cache-busting URL, or a located warning."""
    doc.warnings[:] = [w for w in doc.warnings if not isinstance(w, StaticProblem)]
    buster = getattr(registry, "portal_cache_buster", None)
    busting = buster is not None and not registry.settings.get("pyramid.prevent_cachebust")
    versions = []
    for link in doc.static_links:
        problem = None
        name, rest = (link.path[2], link.path[3:]) if len(link.path) > 2 else (None, ())
        folder = folders.get(name)
        if folder is None:
            served = ", ".join(f"/-/static/{n}/" for n in sorted(folders))
            problem = f"link {link.href!r}: no static folder is served at /-/static/{name}/ here ({served})"
        else:
            file = os.path.normpath(os.path.join(folder, *rest))
            if not rest or not file.startswith(folder.rstrip(os.sep) + os.sep):
                problem = f"link {link.href!r} does not name a file of /-/static/{name}/"
            elif not os.path.isfile(file):
                problem = (f"link {link.href!r}: static file missing, no "
                           f"{os.path.relpath(file, folder)} in {folder}")
        if problem is not None:
            doc.warnings.append(StaticProblem(doc.source, link.line, problem))
            continue
        if busting:
            token = buster.tokenize(None, "/".join(rest), {"rawspec": file})
            versions.append((link, token))
    if versions:
        doc._finish = functools.partial(add_versions, tuple(versions))


def add_versions(versions, html):
    """``html`` with each static link's URL followed by ``?v=<its file's hash>``."""
    for link, token in versions:
        fragment = f"#{link.fragment}" if link.fragment else ""
        before = f'{link.attr}="{escape(link.url + fragment)}"'
        after = f'{link.attr}="{escape(link.url + "?v=" + token + fragment)}"'
        html = html.replace(before, after)
    return html


def site_link_problems(sections, doc):
    """Links to pages of other sections that this portal does not have."""
    problems = []
    for link in doc.site_links:
        missing = missing_page(sections, link.path)
        if missing:
            problems.append(Problem(doc.source, link.line, f"broken link {link.href!r}: {missing}"))
    return problems


def missing_page(sections, path):
    """Why ``path`` (segments) is not a page of the portal whose sections are
    ``sections`` (name -> Section), or None if it is."""
    if not path:
        return None
    if path[0] not in sections:
        return f"no section {path[0]!r} is installed in this portal"
    node = sections[path[0]]
    for segment in path[1:]:
        if segment not in node.children:
            return f"no page /{'/'.join(path)}/ in section {path[0]!r}"
        node = node.children[segment]
    return None


def view_problems(registry, plugins, rec):
    """``section=`` values and renderers of the views ``rec`` registered."""
    places = _registration_places(rec)
    problems = []
    for view, options, breaker in rec.views:
        file, line = places.get((id(view), options.get("name") or "")) or _split(breaker.where)
        if file is None:
            continue
        what = f"view {breaker.name}"
        names = options.get("section")
        if names is not None:
            names = names.split() if isinstance(names, str) else list(names)
            for name in names:
                if name in rec.sections or name in plugins.sections:
                    continue
                own = ", ".join(rec.sections) or "none"
                problems.append(Problem(file, line, f"{what}: section={name!r} is not a section of "
                                        f"{rec.label} (it declares: {own}) nor of any plugin "
                                        "installed here, so the view never matches"))
        trouble = renderer_problem(registry, options.get("renderer"))
        if trouble:
            problems.append(Problem(file, line, f"{what}: {trouble}"))
    return problems


def renderer_problem(registry, renderer):
    """Why ``renderer`` (a ``RendererHelper``, a name or None) cannot render, or None."""
    if renderer is None:
        return None
    if isinstance(renderer, str):
        renderer = RendererHelper(name=renderer, registry=registry)
    name = getattr(renderer, "name", None)
    if not name:
        return None
    kind = renderer.type
    if registry.queryUtility(IRendererFactory, name=kind) is None:
        return (f"renderer {name!r} is not known to this portal (use 'json', 'string' or a "
                "template name ending in .jinja2)")
    if kind != ".jinja2":
        return None
    env = registry.queryUtility(IJinja2Environment, name=".jinja2")
    candidates = [name] if ":" in name or os.path.isabs(name) else []
    package = getattr(renderer, "package", None)
    if not candidates and package is not None:
        candidates.append(f"{package.__name__}:{name}")
    for candidate in candidates:
        try:
            if os.path.isfile(AssetResolver().resolve(candidate).abspath()):
                return None
        except (ImportError, ValueError):
            continue
    if env is not None and ":" not in name:
        try:
            env.loader.get_source(env, name)
            return None
        except jinja2.TemplateNotFound:
            pass
    return f"template {name!r} of its renderer does not exist"


def _registration_places(rec):
    """``{(id(view callable), view name): (file, line)}`` of the calls that registered
    ``rec``'s views."""
    places = {}
    for action in rec.actions:
        info = action.get("info")
        if not getattr(info, "file", None):
            continue
        for intr in action.get("introspectables", ()):
            if intr.category_name == "views" and intr.get("callable") is not None:
                places.setdefault((id(intr["callable"]), intr.get("name") or ""), (info.file, info.line))
    return places


def _split(where):
    if not where:
        return None, None
    file, _, line = where.rpartition(":")
    return file, int(line) if line.isdigit() else 1
