"""``portal examples run|freshness``: the sections' worked examples, run as tested projects,
and the versions they are tested with, compared with the newest releases.

- ``portal examples run [SECTION...]`` runs every example of the installed sections (or
  of those named) with every pin set; exit status 1 if any did not pass;
- ``portal examples freshness [SECTION...]`` lists the sections tested with versions older
  than the newest releases on PyPI (``--check``: exit status 1 if any is behind).
"""

import sys
import time

from .environments import cache_root, prune
from .services import DEFAULT_POSTGRESQL, DEFAULT_REDIS

OUTPUT_LINES = 40  # of a failed example's output, shown under it


def run(args):
    from .runner import Harness, collect, installed_sections

    try:
        plans = [p for p in collect(installed_sections(), args.sections) if p.examples or p.problems]
    except LookupError as exc:
        print(f"portal examples run: {exc}", file=sys.stderr)
        return 2
    if not plans:
        which = ", ".join(args.sections) or "no installed section"
        print(f"portal examples run: {which} declares no examples", file=sys.stderr)
        return 2
    prune(args.cache)
    started = time.monotonic()
    totals = []

    def log(message):
        print(f"==> {message}", flush=True)

    def show(result):
        mark = {"passed": "passed"}.get(result.status, result.status.upper())
        print(f"    {mark:<11} {result.page or '(section)':<30} {result.label:<20} "
              f"{result.summary or '-':<34} {result.seconds:6.1f}s", flush=True)
        if not result.ok:
            for line in result.message.splitlines():
                print(f"                {line}")
        if result.folder:
            print(f"                project kept in {result.folder}")
        if result.output and (args.verbose or not result.ok):
            lines = result.output.splitlines()
            shown = lines if args.verbose else lines[-OUTPUT_LINES:]
            if len(shown) < len(lines):
                print(f"                | ... ({len(lines) - len(shown)} earlier lines)")
            for line in shown:
                print(f"                | {line}")

    with Harness(cache=args.cache, postgresql=args.postgresql, redis=args.redis, jobs=args.jobs,
                 timeout=args.timeout, keep=args.keep, log=log, on_result=show) as harness:
        harness.prepare(plans)
        for plan in plans:
            began = time.monotonic()
            log(f"{plan.section}: {len(plan.examples)} example page(s) x "
                f"{max(1, len(plan.pin_sets))} pin set(s)")
            results = harness.run(plan)
            totals.append((plan.section, results, time.monotonic() - began))
    return _summary(totals, time.monotonic() - started)


def _summary(totals, wall):
    print()
    rows = [("SECTION", "EXAMPLES", "PASSED", "TESTS PASSED", "TIME")]
    all_results = []
    for section, results, seconds in totals:
        all_results += results
        rows.append(_row(section, results, seconds))
    rows.append(_row("total", all_results, wall))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join([row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:],
                                                                              strict=True)]))
    failed = [r for r in all_results if not r.ok]
    if failed:
        print(f"\n{len(failed)} of {len(all_results)} example runs did not pass:", file=sys.stderr)
        for r in failed:
            print(f"  {r.section}/{r.page or '(section)'} {r.label}: {r.status}", file=sys.stderr)
        return 1
    return 0


def _row(name, results, seconds):
    examples = [r for r in results if r.page]
    tests = sum(r.passed or 0 for r in results)
    return (name, str(len(examples)), str(sum(r.ok for r in results)), str(tests), f"{seconds:.1f}s")


def freshness(args):
    from .freshness import ask_index, behind
    from .runner import collect, installed_sections

    try:
        plans = [p for p in collect(installed_sections(), args.sections)]
    except LookupError as exc:
        print(f"portal examples freshness: {exc}", file=sys.stderr)
        return 2
    for plan in plans:
        for problem in plan.problems:
            print(problem, file=sys.stderr)
    declared = [p for p in plans if p.tested_with]
    names = [name for p in declared for name, _ in p.tested_with.versions]
    print(f"Asking {args.index} about {len(set(names))} distributions of "
          f"{len(declared)} sections...", file=sys.stderr)
    known, problems = ask_index(names, args.index)
    stale = 0
    for plan in declared:
        late = behind(plan.tested_with, known)
        if late:
            stale += 1
            print(f"{plan.section}: behind ({plan.index})")
            for item in late:
                print(f"  {item}")
        else:
            print(f"{plan.section}: current ({len(plan.tested_with.versions)} pins)")
    for problem in problems:
        print(f"portal examples freshness: {problem}", file=sys.stderr)
    print(f"{stale} of {len(declared)} sections are tested with versions behind the newest "
          f"releases", file=sys.stderr)
    if problems and not known:
        return 2
    return 1 if args.check and stale else 0


def register(subparsers):
    from .freshness import PYPI_JSON
    from .runner import DEFAULT_TIMEOUT

    examples = subparsers.add_parser(
        "examples", help="run the sections' worked examples; compare their versions with PyPI")
    actions = examples.add_subparsers(dest="action", required=True)

    p = actions.add_parser(
        "run", help="assemble and run the worked examples of the installed sections",
        description="Each example page becomes a project in a new folder: its setup commands, "
                    "its file= code blocks, then its run command, in a virtual environment with "
                    "exactly the section's tested_with versions (cached). Exit status 1 if any "
                    "example did not pass.")
    p.add_argument("sections", nargs="*", metavar="SECTION", help="section names (default: all)")
    p.add_argument("--jobs", type=int, default=2,
                   help="environments built at once, ahead of the examples (default: 2)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help=f"seconds for one example, setup and run (default: {DEFAULT_TIMEOUT})")
    p.add_argument("--keep", action="store_true", help="keep each project folder and print where")
    p.add_argument("-v", "--verbose", action="store_true", help="print every example's output")
    p.add_argument("--postgresql", default=DEFAULT_POSTGRESQL, metavar="URL",
                   help=f"the server fresh databases are made on (default: {DEFAULT_POSTGRESQL})")
    p.add_argument("--redis", default=DEFAULT_REDIS, metavar="URL",
                   help=f"the Redis server (default: {DEFAULT_REDIS})")
    p.add_argument("--cache", default=None, metavar="DIR",
                   help=f"where environments are kept (default: {cache_root()})")
    p.set_defaults(func=run)

    p = actions.add_parser(
        "freshness", help="list sections tested with versions behind the newest releases",
        description="Asks the package index (PyPI's JSON API) for the newest release of every "
                    "distribution in the sections' tested_with. Not a test.")
    p.add_argument("sections", nargs="*", metavar="SECTION", help="section names (default: all)")
    p.add_argument("--index", default=PYPI_JSON, metavar="URL",
                   help=f"a JSON API like PyPI's (default: {PYPI_JSON})")
    p.add_argument("--check", action="store_true", help="exit status 1 if a section is behind")
    p.set_defaults(func=freshness)
