"""A serving process's memory: glibc's allocator tuned for waitress's threads.

glibc gives each thread that contends for the heap an arena of its own (up to eight per
core), and each arena keeps the peak of what its thread built (a rendered page, a Brotli
encoder's buffers) resident. Waitress's threads take turns under the GIL, so two arenas
serve them as fast and keep tens of megabytes less (bench/RESULTS.md). After start-up the
memory the Markdown parser freed is handed back to the system.

Only ``portal.main`` (a deployment) calls this: it changes the whole process, which the
test kit and ``portal plugin check`` must not do to their host. Elsewhere than glibc there is
nothing to tune.
"""

import ctypes
import gc

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
