"""The SQLAlchemy section of the portal."""


def includeme(config):
    config.add_portal_section(
        "sqlalchemy",
        title="SQLAlchemy",
        content="portal_sqlalchemy:content",
        summary="SQLAlchemy 2.0 style: engines, Core and ORM, sessions, relationships, bulk work and Alembic migrations.",
        order=70,
    )
