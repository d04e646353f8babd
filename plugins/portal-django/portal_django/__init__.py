"""The Django and Django REST framework section of the portal."""


def includeme(config):
    config.add_portal_section(
        "django",
        title="Django and Django REST framework",
        content="portal_django:content",
        summary="Django 5 and DRF: ORM, admin, templates, URLs, security, and a tested REST API built step by step.",
        order=20,
    )
