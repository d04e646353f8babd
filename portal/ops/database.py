"""Every wait on the database is bounded, so a database that is down, overloaded or silent
costs a request a few seconds (then a 503, ``portal.ops.outage``), never a worker thread for
minutes; ``/healthz`` never touches the database, so it keeps answering meanwhile.

PostgreSQL only (SQLite is a local file with its own busy timeout):

- ``portal.db.connect_timeout``: opening a connection (libpq's ``connect_timeout``);
- ``portal.db.statement_timeout``: the server cancels a statement running longer
  (``statement_timeout``), and the client stops waiting for an answer one second after
  that: a server that stopped answering altogether (a hung host, a proxy that went silent)
  cannot cancel anything, so ``DeadlineConnection`` closes the connection and raises, and
  SQLAlchemy drops it from the pool;
- ``portal.db.pool_timeout``: waiting for a free connection of the process's pool.

``0`` turns a timeout off (``portal db upgrade`` runs without the statement timeout: a
migration may legitimately take longer).
"""

import functools

from sqlalchemy import event

CLIENT_GRACE = 1.0  # seconds the client waits beyond the server's own statement timeout


@functools.cache
def deadline_connection():
    """``DeadlineConnection``: a psycopg connection that waits at most ``deadline`` seconds
    for any answer (psycopg is imported only where PostgreSQL is used)."""
    import psycopg

    class DeadlineConnection(psycopg.Connection):
        deadline = None

        def wait(self, gen, interval=0.1, timeout=None):
            if timeout is None and self.deadline:
                timeout = self.deadline
            try:
                return super().wait(gen, interval=interval, timeout=timeout)
            except psycopg.OperationalError as exc:
                if timeout is None or self.closed or type(exc).__name__ != "_WaitTimeout":
                    raise
                # Mid-protocol: the connection is of no further use.
                self.pgconn.finish()
                raise psycopg.OperationalError(
                    f"the database did not answer within {timeout:g} s; connection "
                    "closed") from None

    return DeadlineConnection


def engine_options(settings, url):
    """Keyword arguments of ``engine_from_config`` bounding every wait (see above)."""
    if url.get_backend_name() != "postgresql":
        return {}
    options = {"pool_pre_ping": True}
    connect = settings.get("portal.db.connect_timeout", 5)
    statement = settings.get("portal.db.statement_timeout", 0)
    pool = settings.get("portal.db.pool_timeout", 0)
    connect_args = {}
    if connect:
        connect_args["connect_timeout"] = connect
    if statement:
        connect_args["options"] = f"-c statement_timeout={int(statement * 1000)}"
    options["connect_args"] = connect_args
    if pool:
        options["pool_timeout"] = pool
    return options


def bound_answers(engine, settings):
    """Make ``engine``'s psycopg connections ``DeadlineConnection``s."""
    statement = settings.get("portal.db.statement_timeout", 0)
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg" or not statement:
        return
    deadline = statement + CLIENT_GRACE

    @event.listens_for(engine, "do_connect")
    def connect(dialect, conn_rec, cargs, cparams):
        connection = deadline_connection().connect(*cargs, **cparams)
        connection.deadline = deadline
        return connection
