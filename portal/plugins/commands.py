"""``portal plugin new|check|list``: the plugin author's and the operator's commands.

- ``portal plugin new NAME [--dir DIR]`` writes a complete plugin package
  (``--from-mkdocs PATH/mkdocs.yml``: made from an MkDocs project, docs/mkdocs.md);
- ``portal plugin check [CONFIG] [NAME...] [--source DIR] [--render]`` loads plugins the
  way the portal does and prints one ``file:line: message`` per problem (exit status 1 if
  any), the plugins asked about first, and says which copy of each it checked;
- ``portal plugin list [CONFIG] [--requirements]`` lists discovered plugins from their
  installed metadata, with the status each gets, or the pins of the loaded ones.
"""

import contextlib
import os
import sys

from pyramid.paster import get_appsettings

from . import checks
from .scaffold import ScaffoldError, create_plugin
from .source import SourceError, source_tree


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
    print(f"  portal plugin check {args.name} --render")
    print("  python -m build             # the wheel to publish")
    return 0


def check(args):
    config, names = _split_config(args.words)
    try:
        with source_tree(args.source) if args.source else contextlib.nullcontext() as tree:
            if tree is not None and not names:
                names = list(tree.entry_points)
            report = checks.check(_settings(config), names, ini=config.split("#")[0] if config else None,
                                  source=tree, render=args.render)
    except (LookupError, SourceError) as exc:
        print(f"portal plugin check: {exc}", file=sys.stderr)
        return 2
    for problem in report.own:
        print(problem)
    for problem in report.elsewhere:
        print(problem)
    for rec in report.checked:
        print(f"checked {rec.label}: {report.copies[rec.name]}", file=sys.stderr)
    if report.elsewhere:
        one = len(report.elsewhere) == 1
        print(f"{len(report.elsewhere)} problem{'' if one else 's'} of other plugins "
              f"concern{'s' if one else ''} these sections (listed last)", file=sys.stderr)
    problems = report.problems
    plural = "s" if len(report.checked) != 1 else ""
    if problems:
        failed = len({p.file for p in problems})
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {failed} "
              f"file{'s' if failed != 1 else ''}; {len(report.checked)} plugin{plural} checked",
              file=sys.stderr)
        return 1
    names = ", ".join(rec.name for rec in report.checked) or "none installed"
    print(f"no problems in {len(report.checked)} plugin{plural} ({names})", file=sys.stderr)
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
        "check", help="load plugins as the portal would and report every problem",
        description="Prints one file:line: message per problem, the plugins named first; exit "
                    "status 1 if any. Says which copy of each plugin it checked.")
    p.add_argument("words", nargs="*", metavar="[CONFIG] [NAME ...]",
                   help="the .ini file (default: built-in settings), then plugin names (default: all)")
    p.add_argument("--source", metavar="DIR",
                   help="check the plugin in this source tree (its pyproject.toml), not the installed copy")
    p.add_argument("--render", action="store_true",
                   help="also request every page and named view of the plugins through the real "
                        "application (on a throw-away database) and report any answer that is not 2xx")
    p.set_defaults(func=check)

    p = actions.add_parser("list", help="list installed plugins with version and status")
    p.add_argument("config", nargs="?", help="the .ini file (default: built-in settings)")
    p.add_argument("--requirements", action="store_true",
                   help="print name==version of each loaded plugin, for a reproducible deploy")
    p.set_defaults(func=list_)
