"""``portal plugin new|check|list``: the plugin author's and the operator's commands.

- ``portal plugin new NAME [--dir DIR]`` writes a complete plugin package
  (``--from-mkdocs PATH/mkdocs.yml``: made from an MkDocs project, docs/mkdocs.md);
- ``portal plugin check [CONFIG] [NAME...]`` loads the installed plugins the way the
  portal does and prints one ``file:line: message`` per problem (exit status 1 if any);
- ``portal plugin list [CONFIG] [--requirements]`` lists discovered plugins from their
  installed metadata, with the status each gets, or the pins of the loaded ones.
"""

import os
import sys

from pyramid.paster import get_appsettings

from . import checks
from .scaffold import ScaffoldError, create_plugin


def _split_config(words):
    """``[CONFIG] [NAME...]``: the first word is the .ini file when it names one."""
    if words and (words[0].endswith(".ini") or "#" in words[0] or os.path.isfile(words[0])):
        return words[0], words[1:]
    return None, words


def _settings(config):
    return dict(get_appsettings(config)) if config else {}


def new(args):
    if args.from_mkdocs:
        from .mkdocs import import_command

        return import_command(args)
    try:
        target, written = create_plugin(args.name, args.dir, title=args.title)
    except ScaffoldError as exc:
        print(f"portal plugin new: {exc}", file=sys.stderr)
        return 2
    print(f"Created {target} ({len(written)} files). Next:")
    print(f"  cd {target}")
    print('  pip install -e ".[test]"    # the plugin, the portal and its test kit')
    print("  pytest                      # the section's own tests")
    print(f"  portal plugin check {args.name}")
    print("  python -m build             # the wheel to publish")
    return 0


def check(args):
    config, names = _split_config(args.words)
    try:
        problems, checked = checks.check(_settings(config), names)
    except LookupError as exc:
        print(f"portal plugin check: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    failed = len({p.file for p in problems})
    if problems:
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {failed} "
              f"file{'s' if failed != 1 else ''}; {len(checked)} plugin"
              f"{'s' if len(checked) != 1 else ''} checked", file=sys.stderr)
        return 1
    names = ", ".join(rec.name for rec in checked) or "none installed"
    print(f"no problems in {len(checked)} plugin{'s' if len(checked) != 1 else ''} ({names})",
          file=sys.stderr)
    return 0


def list_(args):
    settings = _settings(args.config)
    try:
        plugins = checks.plugin_statuses(settings)
    except Exception as exc:  # the portal itself cannot be built: still list what is installed
        plugins = checks.installed_plugins()
        print(f"portal plugin list: the portal cannot be built ({type(exc).__name__}: {exc}); "
              "statuses unknown", file=sys.stderr)
    if args.requirements:
        for pin in checks.requirement_pins(plugins):
            print(pin)
        return 0
    rows = [("PLUGIN", "DISTRIBUTION", "VERSION", "STATUS", "SECTIONS")]
    rows += [(p.name, p.distribution or "?", p.version or "?", p.status, " ".join(p.sections) or "-")
             for p in plugins]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row, plugin in zip(rows, [None] + plugins, strict=False):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[4])
        if plugin is not None and plugin.error:
            print("    " + " ".join(plugin.error.split()))
    return 0


def register(subparsers):
    plugin = subparsers.add_parser("plugin", help="create, check and list section plugins")
    actions = plugin.add_subparsers(dest="action", required=True)

    p = actions.add_parser("new", help="create a plugin package ready to build and test")
    p.add_argument("name", help="the section's name (its URL segment), e.g. acme")
    p.add_argument("--dir", default=".", help="where to create portal-NAME/ (default: here)")
    p.add_argument("--title", help="the section's title (default: from the name)")
    p.add_argument("--from-mkdocs", metavar="PATH/mkdocs.yml",
                   help="make the plugin from an MkDocs project: its pages, nav, site name and files")
    p.set_defaults(func=new)

    p = actions.add_parser(
        "check", help="load installed plugins as the portal would and report every problem",
        description="Prints one file:line: message per problem; exit status 1 if any.")
    p.add_argument("words", nargs="*", metavar="[CONFIG] [NAME ...]",
                   help="the .ini file (default: built-in settings), then plugin names (default: all)")
    p.set_defaults(func=check)

    p = actions.add_parser("list", help="list installed plugins with version and status")
    p.add_argument("config", nargs="?", help="the .ini file (default: built-in settings)")
    p.add_argument("--requirements", action="store_true",
                   help="print name==version of each loaded plugin, for a reproducible deploy")
    p.set_defaults(func=list_)
