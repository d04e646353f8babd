"""The guide section of the portal: Python for backend work."""


def includeme(config):
    config.add_portal_section(
        "guide",
        title="Python for backend work",
        content="portal_guide:content",
        summary="Why Python for backends, a learning path through the portal, everyday habits, web security basics and performance facts.",
        order=10,
    )
