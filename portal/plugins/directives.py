"""The configuration directives a plugin's ``includeme`` calls: ``add_portal_section``,
``add_portal_static``, ``add_portal_templates`` and (contract 1.1) ``add_portal_setting``
(in ``portal.plugins.settings``). Each checks its arguments at once and records a
configuration action with a discriminator (two plugins claiming one thing is a conflict
naming both) and an introspectable (what ``/-/plugins`` shows). What a directive adds to
the plugin's record is added by the action, when the plugin is committed, so a plugin
that fails before keeps nothing.

Whose directive it is comes from the package of the configurator it is called on
(``plugin_of(config)``), never from a pointer the loader moves around."""

import os

import jinja2
from pyramid.exceptions import ConfigurationError
from pyramid.path import AssetResolver
from pyramid_jinja2 import IJinja2Environment

from ..content import SEGMENT_RE, ContentError, Problem, load_folder
from ..resources import Section
from .loader import RESERVED_NAMES, SECTION, plugin_of


def _resolve_folder(config, spec, what):
    if not isinstance(spec, str) or not spec:
        raise ConfigurationError(f"{what} must be an asset spec such as 'portal_acme:{what}'")
    try:
        path = AssetResolver(config.package).resolve(spec).abspath()
    except (ImportError, ValueError) as exc:
        raise ConfigurationError(f"{what} folder {spec} cannot be resolved: {exc}") from None
    return path


def add_portal_section(config, name, *, title, content, summary="", order=100):
    """Declare a section: ``name`` is its URL segment, ``content`` a folder of Markdown.

    Everything is checked and the content parsed here, at once, so a bad section fails
    its own plugin's ``includeme`` with a message that names the file.
    """
    if not isinstance(name, str) or not SEGMENT_RE.match(name):
        raise ConfigurationError(
            f"section name {name!r} is not a URL segment: use lowercase letters, digits and hyphens"
        )
    if name in RESERVED_NAMES:
        raise ConfigurationError(f"section name {name!r} is reserved by the portal")
    if not isinstance(title, str) or not title.strip():
        raise ConfigurationError(f"section {name!r}: title must be a non-empty string")
    if not isinstance(summary, str):
        raise ConfigurationError(f"section {name!r}: summary must be a string")
    if not isinstance(order, int) or isinstance(order, bool):
        raise ConfigurationError(f"section {name!r}: order must be an integer")
    folder = _resolve_folder(config, content, "content")
    try:
        doc = load_folder(folder, name, cache=getattr(config.registry, "portal_content_cache", None))
    except ContentError as exc:
        raise ContentError(f"section {name!r}: {exc}", exc.problems) from None
    rec = plugin_of(config)
    plugin = rec.name if rec else None
    section = Section(name, doc, title=title.strip(), summary=summary.strip(), order=order,
                      plugin=plugin, spec=content)
    plugins = config.registry.portal_plugins

    def register():
        plugins.sections[name] = section
        if rec is not None:
            rec.sections.append(name)

    intr = config.introspectable(SECTION + "s", name, title, SECTION)
    intr["plugin"] = plugin
    intr["content"] = content
    intr["pages"] = len(section.documents)
    config.action((SECTION, name), register, introspectables=(intr,))


def add_portal_static(config, spec, name=None):
    """Serve a plugin's folder of static files under ``/-/static/<name>/`` (the plugin's
    name by default), with cache-busting URLs (Markdown links to its files get them too)."""
    rec = plugin_of(config)
    name = name or (rec.name if rec else None)
    if not name or not SEGMENT_RE.match(name) or name == "portal":
        raise ConfigurationError(f"static name {name!r} is not a free URL segment")
    path = _resolve_folder(config, spec, "static")
    if not os.path.isdir(path):
        raise ConfigurationError(f"static folder {spec} does not exist ({path})")
    # Long-lived, with cache-busting URLs, like the core's own (portal.http.caching).
    config.add_busted_static_view(f"-/static/{name}", spec)

    def register():
        if rec is not None:
            rec.statics.append(f"/-/static/{name}/")
            rec.static_folders[name] = path

    config.action(None, register)


def add_portal_templates(config, spec):
    """Put a plugin's template folder before the core's: a template there with the name of
    a core template (``page.jinja2``, ``layout.jinja2``, ...) replaces it.

    Every template is parsed here, so a syntax error fails the plugin at start-up with
    its file and line; a template that raises while rendering is left out, on its own,
    by its circuit breaker (``portal.plugins.isolation``)."""
    path = _resolve_folder(config, spec, "templates")
    if not os.path.isdir(path):
        raise ConfigurationError(f"templates folder {spec} does not exist ({path})")
    names = sorted(os.path.relpath(os.path.join(d, f), path).replace(os.sep, "/")
                   for d, _, files in os.walk(path) for f in files if f.endswith(".jinja2"))
    env = config.registry.queryUtility(IJinja2Environment, name=".jinja2")
    if env is not None:
        problems = []
        for name in names:
            file = os.path.join(path, name)
            try:
                with open(file, encoding="utf-8") as f:
                    env.parse(f.read(), name, file)
            except jinja2.TemplateSyntaxError as exc:
                problems.append(Problem(file, exc.lineno, f"template syntax error: {exc.message}"))
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(Problem(file, 1, f"template cannot be read: {exc}"))
        if problems:
            raise ContentError.of(problems)
    config.add_jinja2_search_path(spec, prepend=True)
    core = AssetResolver().resolve("portal:templates").abspath()
    overrides = [n for n in names if os.path.isfile(os.path.join(core, n))]
    rec = plugin_of(config)
    registry = config.registry

    def register():
        if rec is not None:
            rec.templates.extend(names)
            rec.template_paths.append(path)
            registry.portal_health.add_templates(rec, spec, path, names)

    intr = config.introspectable("portal templates", spec, spec, "portal templates")
    intr["templates"] = names
    intr["overrides"] = overrides
    config.action(None, register, introspectables=(intr,))
