"""The Flask section of the portal."""


def includeme(config):
    config.add_portal_section(
        "flask",
        title="Flask",
        content="portal_flask:content",
        summary="Flask 3 from WSGI up: routing, Jinja2 templates, blueprints, extensions, testing and deployment.",
        order=30,
    )
