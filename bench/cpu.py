"""CPU per request in process: ``python bench/cpu.py INI PAGE COMMENTED_PAGE`` prints a JSON line.

The WSGI application from INI (as pserve loads it) is called directly, without a server or
a socket, so the figure is the portal's own work: the process's CPU time (all threads),
median of five batches. Two readers: an anonymous one (the page cache answers) and one
with a comment waiting for a moderator (``portal_pending``), whose page is rendered for
them every time: traversal, the discussion (from the database when the page has one), the
templates; on PAGE (no comment) and on COMMENTED_PAGE (comments).
"""

import json
import statistics
import sys
import time

from pyramid.paster import get_app, setup_logging
from webob import Request

BATCHES, PER_BATCH = 5, 100
READERS = {"anonymous": {}, "pending": {"Cookie": "portal_pending=1"}}


def cpu_ms(app, paths, headers):
    def one(path):
        response = Request.blank(path, headers=headers).get_response(app)
        assert response.status_int == 200, (path, response.status)

    for path in paths * 5:  # warm: templates compiled, statements cached, pages kept
        one(path)
    batches = []
    for _ in range(BATCHES):
        start = time.process_time()
        for i in range(PER_BATCH):
            one(paths[i % len(paths)])
        batches.append((time.process_time() - start) * 1000 / PER_BATCH)
    return statistics.median(batches)


def main(ini, page, commented):
    setup_logging(ini)
    app = get_app(ini)
    result = {name: cpu_ms(app, [page], headers) for name, headers in READERS.items()}
    result["pending_commented"] = cpu_ms(app, [commented], READERS["pending"])
    print("BENCH_JSON " + json.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:])
