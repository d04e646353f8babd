"""A small load generator for when wrk is not installed: keep-alive HTTP/1.1 connections,
each in its own thread, for a fixed duration; the same summary as bench/report.lua.

    python bench/load.py URL --connections 16 --duration 10 [--method PUT --body '{...}']

It is slower than wrk (it is Python, on the same cores as the server), so its figures are
lower bounds of the server's throughput; bench/RESULTS.md says which one measured.
"""

import argparse
import http.client
import json
import random
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit


def worker(url, method, body, ctype, extra, paths, stamps, stop_at, latencies, counts, lock):
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    turn = random.randrange(len(paths)) if paths else 0
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    mine, n, bad, errors = [], 0, 0, 0
    while time.monotonic() < stop_at:
        headers = dict(extra, **({"Content-Type": ctype} if ctype else {}))
        payload = None
        if body is not None:
            n += 1
            payload = body.replace("{n}", f"{n}-{random.randrange(10**9)}")
            if stamps:
                payload = payload.replace("{stamp}", stamps.pop())
            payload = payload.encode()
        if paths:
            path = paths[turn % len(paths)]
            turn += 1
        start = time.perf_counter()
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            continue
        mine.append(time.perf_counter() - start)
        if response.status >= 400:
            bad += 1
    conn.close()
    with lock:
        latencies.extend(mine)
        counts["bad"] += bad
        counts["errors"] += errors


def run(url, connections=16, duration=10.0, method="GET", body=None, ctype=None, headers=None,
        paths=None, stamps=None):
    latencies, counts, lock = [], {"bad": 0, "errors": 0}, threading.Lock()
    start = time.monotonic()
    stop_at = start + duration
    threads = [threading.Thread(target=worker, args=(url, method, body, ctype, headers or {}, paths, stamps, stop_at,
                                                     latencies, counts, lock))
               for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    latencies.sort()

    def pct(p):
        return int(latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1e6) if latencies else 0

    return {"requests": len(latencies), "duration_us": int(elapsed * 1e6),
            "socket_errors": counts["errors"], "non_2xx_3xx": counts["bad"],
            "p50_us": pct(50), "p95_us": pct(95), "p99_us": pct(99),
            "max_us": int(latencies[-1] * 1e6) if latencies else 0}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body")
    parser.add_argument("--content-type")
    parser.add_argument("--header", action="append", default=[], help='"Name: value", repeatable')
    parser.add_argument("--paths", help="space-separated paths to request in turn")
    parser.add_argument("--stamps-file", help="form stamps, one a line: {stamp} in the body takes one")
    args = parser.parse_args(argv)
    result = run(args.url, args.connections, args.duration, args.method, args.body,
                 args.content_type, dict(h.split(": ", 1) for h in args.header), args.paths.split() if args.paths else None,
                 Path(args.stamps_file).read_text().split() if args.stamps_file else None)
    print("BENCH_JSON " + json.dumps(result))


if __name__ == "__main__":
    main()
