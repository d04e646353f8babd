"""A serving process's memory: glibc's allocator tuned for waitress's threads.

glibc gives each thread that contends for the heap an arena of its own (up to eight per
core), and each arena keeps the peak of what its thread built (a rendered page, a Brotli
encoder's buffers) resident. Waitress's threads take turns under the GIL, so two arenas
serve them as fast and keep tens of megabytes less (bench/RESULTS.md). After start-up the
memory the Markdown parser freed is handed back to the system.

On SQLite, the PostgreSQL driver is not loaded at all (``skip_unused_driver``).

Only ``portal.main`` (a deployment) calls these: it changes the whole process, which the
test kit and ``portal plugin check`` must not do to their host. Elsewhere than glibc there is
nothing to tune.
"""

import ctypes
import gc
import sys

M_ARENA_MAX = -8  # mallopt's parameter, from glibc's malloc.h


def _glibc():
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def tune(arenas):
    """At most ``arenas`` malloc arenas (0: glibc's default), and the start-up's garbage
    returned to the system. Call before the server starts its threads."""
    libc = _glibc()
    if libc is None:
        return
    if arenas > 0:
        libc.mallopt(M_ARENA_MAX, arenas)
    gc.collect()
    libc.malloc_trim(0)


def skip_unused_driver(database_url):
    """zope.sqlalchemy imports psycopg, when it is installed, to know which of its errors a
    transaction may retry: some 9 MB that a process on SQLite never uses. For such a
    process zope.sqlalchemy is imported with psycopg hidden, then psycopg is importable
    again (for a plugin that wants it). Call before the application is made."""
    if not str(database_url or "").startswith("sqlite") or "zope.sqlalchemy" in sys.modules:
        return
    hidden = {name: sys.modules.get(name) for name in ("psycopg", "psycopg2")}
    try:
        sys.modules.update(dict.fromkeys(hidden))  # None: "import psycopg" raises ImportError
        import zope.sqlalchemy  # noqa: F401
    finally:
        for name, module in hidden.items():
            if module is None:
                del sys.modules[name]
            else:
                sys.modules[name] = module
