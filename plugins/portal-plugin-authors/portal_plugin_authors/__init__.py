"""The plugin authors' section of the portal: how to write, test and publish a section."""

PORTAL_API = (1,)


def includeme(config):
    config.add_portal_section(
        "plugin-authors",
        title="Writing portal plugins",
        content="portal_plugin_authors:content",
        summary="Add a section to the portal: the plugin contract, a plugin from nothing to a published wheel, tests and failures.",
        order=110,
    )
