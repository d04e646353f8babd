"""``portal content cache CONFIG``: parse every installed plugin's content now and keep it in
``portal.content.cache_dir``, so the next start (a container's first) loads it from disk."""

import sys
import time

from pyramid.paster import get_appsettings


def cache(args):
    from .. import make_app

    settings = dict(get_appsettings(args.config))
    if not settings.get("portal.content.cache_dir"):
        print(f"portal: {args.config} sets no portal.content.cache_dir; nothing to fill",
              file=sys.stderr)
        return 2
    settings.setdefault("portal.secret", "content-cache-only")  # nothing is signed here
    settings["portal.secret.required"] = "false"
    start = time.perf_counter()
    app = make_app(settings)
    root = app.registry.portal_root
    pages = sum(len(section.documents) for section in root.sections.values())
    print(f"{len(root.sections)} sections, {pages} pages cached in "
          f"{settings['portal.content.cache_dir']} ({time.perf_counter() - start:.1f} s)")
    return 0


def register(subparsers):
    content = subparsers.add_parser("content", help="the plugins' content")
    actions = content.add_subparsers(dest="action", required=True)
    p = actions.add_parser("cache", help="parse every plugin's content now and keep it on disk")
    p.add_argument("config", help="the .ini file, e.g. production.ini")
    p.set_defaults(func=cache)
