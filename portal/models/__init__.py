"""Database wiring: one engine per process, a session per request joined to ``request.tm``.

``request.dbsession`` is a SQLAlchemy session registered with zope.sqlalchemy, so pyramid_tm
commits it when the request succeeds and aborts it when anything raises; pyramid_retry
replays a request that hit a transient error (serialization failure, deadlock). Tests may
put a session of their own in the WSGI environ under ``app.dbsession``.
"""

import zope.sqlalchemy
from sqlalchemy import engine_from_config, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import configure_mappers, sessionmaker

# Import every model module so the mappers (and the metadata Alembic compares) are complete.
from . import comments, moderators, ratings, throttle  # noqa: F401
from .meta import Base  # noqa: F401


def get_engine(settings, prefix="sqlalchemy."):
    kwargs = {}
    if make_url(settings[prefix + "url"]).get_backend_name() == "postgresql":
        # An unreachable server fails fast (a 503, /readyz false) instead of hanging workers.
        kwargs["connect_args"] = {"connect_timeout": settings.get("portal.db.connect_timeout", 5)}
    engine = engine_from_config(settings, prefix, pool_pre_ping=True, **kwargs)
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
