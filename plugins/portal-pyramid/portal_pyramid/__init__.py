"""The Pyramid section of the portal."""


def includeme(config):
    config.add_portal_section(
        "pyramid",
        title="Pyramid",
        content="portal_pyramid:content",
        summary="Pyramid 2: the Configurator, traversal and URL dispatch, ACL security, pyramid_tm and testing.",
        order=50,
    )
