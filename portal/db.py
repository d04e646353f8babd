"""The database: the declarative base every domain's models use, one engine per process, and a
session per request joined to ``request.tm``.

``request.dbsession`` is a SQLAlchemy session registered with zope.sqlalchemy, so pyramid_tm
commits it when the request succeeds and aborts it when anything raises; pyramid_retry
replays a request that hit a transient error (serialization failure, deadlock). Tests may
put a session of their own in the WSGI environ under ``app.dbsession``.

Models live in their domain (``portal.discussion.models``, ``portal.moderation.models``, ...);
``portal.models`` imports them all, so the metadata Alembic compares is complete.
"""

import importlib

import zope.sqlalchemy
from sqlalchemy import MetaData, engine_from_config, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, configure_mappers, sessionmaker

from .ops.database import bound_answers, engine_options

# Every constraint gets a predictable name: Alembic migrations refer to them by name, on
# SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


UPSERT_DIALECTS = ("postgresql", "sqlite")


def dialect_insert(dialect):
    """The ``insert()`` of database ``dialect`` (a name), whose ``on_conflict_do_update``
    makes an upsert: one statement, so concurrent writers neither duplicate nor lose a row.
    Imported when asked: a SQLite process never loads the PostgreSQL dialect (some 10 MB
    with the modules it brings)."""
    if dialect not in UPSERT_DIALECTS:
        raise RuntimeError(f"the portal runs on SQLite and PostgreSQL; {dialect} has no upsert here")
    return importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert


def upsert_insert(dbsession):
    """``dialect_insert`` for the session's database."""
    return dialect_insert(dbsession.get_bind().dialect.name)


def get_engine(settings, prefix="sqlalchemy."):
    # Every wait on the database is bounded (portal.ops.database): an unreachable or silent
    # server costs a request a few seconds (a 503, /readyz false), never a hung worker. A
    # server's connections are checked before use (pool_pre_ping, there); a SQLite file's
    # cannot be dropped under us, and checking them cost a statement per request.
    kwargs = engine_options(settings, make_url(settings[prefix + "url"]))
    engine = engine_from_config(settings, prefix, **kwargs)
    bound_answers(engine, settings)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, connection_record):
    # Foreign keys are off by default in SQLite; WAL lets readers work beside a writer;
    # the busy timeout makes a second process wait for the write lock instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def get_session_factory(engine):
    factory = sessionmaker()
    factory.configure(bind=engine)
    return factory


def get_tm_session(session_factory, transaction_manager, request=None):
    """A session joined to ``transaction_manager``: committed or aborted with it."""
    dbsession = session_factory(info={"request": request})
    zope.sqlalchemy.register(dbsession, transaction_manager=transaction_manager)
    return dbsession


def includeme(config):
    from . import models  # noqa: F401  (every mapper, before configure_mappers)

    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    config.include("pyramid_tm")
    config.include("pyramid_retry")
    configure_mappers()

    engine = get_engine(settings)
    session_factory = get_session_factory(engine)
    config.registry["dbsession_factory"] = session_factory
    config.registry["dbengine"] = engine

    def dbsession(request):
        session = request.environ.get("app.dbsession")
        if session is None:
            session = get_tm_session(session_factory, request.tm, request=request)
        return session

    config.add_request_method(dbsession, reify=True)
