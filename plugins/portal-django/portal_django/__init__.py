"""The Django and Django REST framework section of the portal."""


def includeme(config):
    config.add_portal_section(
        "django",
        title="Django and Django REST framework",
        content="portal_django:content",
        summary="Django 5.2 LTS, Django 6.x and DRF 3.18: ORM, admin, templates, auth, security, caching, deployment, and tested projects.",
        order=20,
    )
