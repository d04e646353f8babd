"""The declarative base, with a naming convention so every constraint has a stable name
(Alembic migrations refer to constraints by name, on SQLite and PostgreSQL alike)."""

from sqlalchemy import MetaData
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


_UPSERT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def upsert_insert(dbsession):
    """The ``insert()`` of the session's database, whose ``on_conflict_do_update`` makes an
    upsert: one statement, so concurrent writers neither duplicate nor lose a row."""
    dialect = dbsession.get_bind().dialect.name
    try:
        return _UPSERT_INSERTS[dialect]
    except KeyError:
        raise RuntimeError(
            f"the portal runs on SQLite and PostgreSQL; {dialect} has no upsert here"
        ) from None
