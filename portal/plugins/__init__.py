"""The plugin host: discovery through entry points, loading each plugin in isolation, the
configuration directives, runtime isolation, section owners, provenance, and the
``portal plugin`` commands.

Contract 1.2 (docs/plugins.md): a plugin is an installed distribution with an entry point
in the group ``portal.plugins`` naming a module (or ``module:function``) that holds
``includeme(config)``. Inside, it uses the directives (``add_portal_section``,
``add_portal_static``, ``add_portal_templates``, ``add_portal_setting``, and search's
``add_portal_search_terms``), and may register views on the core's resource types and
subscribe to the core's events.

The names below stay importable from ``portal.plugins`` for tools and plugins' tests.
"""

from ..resources import Root
from .directives import add_portal_section, add_portal_static, add_portal_templates
from .loader import (  # noqa: F401
    ENTRY_POINT_GROUP,
    PLUGIN_API_VERSION,
    PLUGIN_CONTRACT,
    RESERVED_NAMES,
    SUPPORTED_API_VERSIONS,
    PluginError,
    PluginLoader,
    PluginRecord,
    Plugins,
    discover,
)
from .predicates import SectionPredicate
from .settings import add_portal_setting


def includeme(config):
    """Load every installed plugin. Include this last: the core's own configuration is
    committed first, so plugins override the core instead of conflicting with it."""
    config.include(".isolation")
    config.scan(".views")
    config.scan(".unavailable")
    config.add_view_predicate("section", SectionPredicate)
    config.add_directive("add_portal_section", add_portal_section)
    config.add_directive("add_portal_static", add_portal_static)
    config.add_directive("add_portal_templates", add_portal_templates)
    config.add_directive("add_portal_setting", add_portal_setting)
    config.registry.portal_plugins = Plugins()
    config.commit()
    PluginLoader(config).load(discover())
    config.registry.portal_root = Root(config.registry.portal_plugins.sections.values())
