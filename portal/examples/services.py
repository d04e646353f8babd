"""The real services an example may ask for (``services: [postgresql, redis]``).

- ``postgresql``: a fresh database on the server for each run, dropped afterwards;
  ``DATABASE_URL`` names it in libpq's URI form (``postgresql://user@host:port/name``).
- ``redis``: a database number no other run of the harness on this machine holds (a file
  lock per number, so concurrent runs never share one), emptied before and after;
  ``REDIS_URL`` is ``redis://host:port/<n>``. Database 0, everyone's default, is never used.
"""

import contextlib
import fcntl
import socket
import uuid
from urllib.parse import unquote, urlsplit, urlunsplit

from .project import ExampleError

DEFAULT_POSTGRESQL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379"


class ServiceUnavailable(ExampleError):
    """A service an example needs is not reachable: the machine's fault, not the page's."""


# -- PostgreSQL ---------------------------------------------------------------------------

def libpq_url(url):
    """``url`` in libpq's URI form: SQLAlchemy's ``postgresql+psycopg://`` loses its driver."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme not in ("postgresql", "postgres"):
        raise ServiceUnavailable([f"{url!r} is not a PostgreSQL URL (postgresql://user@host:port/db)"])
    return urlunsplit(("postgresql",) + tuple(parts)[1:])


def _connect(server):
    try:
        import psycopg
    except ImportError:
        raise ServiceUnavailable([
            "examples with services: [postgresql] need psycopg in the portal's environment: "
            "pip install 'backend-portal[postgresql]'"]) from None
    try:
        return psycopg.connect(server, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ServiceUnavailable([f"PostgreSQL at {server} is not usable: {first}"]) from None


def check_postgresql(server=DEFAULT_POSTGRESQL):
    _connect(libpq_url(server)).close()


@contextlib.contextmanager
def postgresql_database(server=DEFAULT_POSTGRESQL, prefix="portal_example"):
    """A new empty database on ``server`` (the URL of any database there, to connect to);
    yields its URL, drops it when the block ends."""
    server = libpq_url(server)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}".lower().replace("-", "_")
    with contextlib.closing(_connect(server)) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    finally:
        with contextlib.closing(_connect(server)) as conn:
            # FORCE: a test that leaked a connection must not leave the database behind.
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- Redis --------------------------------------------------------------------------------

class RedisConnection:
    """Enough of Redis's protocol (RESP2) for the harness: a few commands, their replies.
    The portal does not depend on a Redis client for this."""

    def __init__(self, url=DEFAULT_REDIS, timeout=10):
        parts = urlsplit(url)
        if parts.scheme not in ("redis", ""):
            raise ServiceUnavailable([f"{url!r} is not a redis:// URL"])
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 6379
        self.password = unquote(parts.password) if parts.password else None
        self.username = unquote(parts.username) if parts.username else None
        try:
            self.sock = socket.create_connection((self.host, self.port), timeout=timeout)
        except OSError as exc:
            raise ServiceUnavailable([f"Redis at {self.host}:{self.port} is not reachable: {exc}"]) from None
        self.reader = self.sock.makefile("rb")
        if self.password:
            self.command("AUTH", *([self.username] if self.username else []), self.password)

    def command(self, *args):
        out = [f"*{len(args)}\r\n".encode()]
        for arg in args:
            data = str(arg).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self.sock.sendall(b"".join(out))
        return self._reply()

    def _reply(self):
        line = self.reader.readline()
        if not line:
            raise ServiceUnavailable([f"Redis at {self.host}:{self.port} closed the connection"])
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise ServiceUnavailable([f"Redis at {self.host}:{self.port}: {rest.decode()}"])
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            return None if size < 0 else self.reader.read(size + 2)[:-2].decode()
        if kind == b"*":
            size = int(rest)
            return None if size < 0 else [self._reply() for _ in range(size)]
        raise ServiceUnavailable([f"Redis at {self.host}:{self.port}: unexpected reply {line!r}"])

    def close(self):
        self.reader.close()
        self.sock.close()


def check_redis(server=DEFAULT_REDIS):
    conn = RedisConnection(server)
    try:
        conn.command("PING")
    finally:
        conn.close()


def _database_count(conn):
    try:
        reply = conn.command("CONFIG", "GET", "databases")
        return int(reply[1])
    except (ServiceUnavailable, IndexError, TypeError, ValueError):
        return 16  # CONFIG may be renamed away; 16 is Redis's default


@contextlib.contextmanager
def redis_database(server=DEFAULT_REDIS, lock_dir=None, numbers=None):
    """Yields ``redis://host:port/<n>``: a database number this machine's other runs do
    not hold (the highest first: people's own experiments tend to use the low ones),
    an empty one when there is one, emptied before the block and after it."""
    from .environments import cache_root

    lock_dir = lock_dir or cache_root() / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    conn = RedisConnection(server)
    try:
        if numbers is None:
            numbers = range(_database_count(conn) - 1, 0, -1)
        held, handle = _lease(conn, lock_dir, list(numbers))
        try:
            conn.command("SELECT", held)
            conn.command("FLUSHDB")
            parts = urlsplit(server)
            yield urlunsplit(("redis", parts.netloc, f"/{held}", "", ""))
        finally:
            with contextlib.suppress(ServiceUnavailable, OSError):
                conn.command("FLUSHDB")  # leave it empty: the next run prefers empty ones
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
    finally:
        conn.close()


def _lease(conn, lock_dir, numbers):
    """(number, locked file) for the first free number holding no keys, else the first free."""
    fallback = None
    for number in numbers:
        handle = open(lock_dir / f"redis-{conn.host}-{conn.port}-{number}.lock", "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        conn.command("SELECT", number)
        if conn.command("DBSIZE") == 0:
            if fallback:
                fcntl.flock(fallback[1], fcntl.LOCK_UN)
                fallback[1].close()
            return number, handle
        if fallback is None:
            fallback = (number, handle)
        else:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
    if fallback:
        return fallback
    raise ServiceUnavailable([
        f"Redis at {conn.host}:{conn.port}: every database number ({', '.join(map(str, numbers))}) "
        f"is held by another run of the examples on this machine"])
