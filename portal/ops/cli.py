"""The ``portal`` command."""

import argparse
import logging
import sys

from pyramid.exceptions import ConfigurationError

from ..content import commands as content
from ..examples import commands as examples
from ..insights import commands as insights
from ..moderation import commands as moderators
from ..plugins import commands as plugins
from . import schema as db


def build_parser():
    parser = argparse.ArgumentParser(prog="portal", description="Run and manage the portal.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    db.register(subparsers)
    content.register(subparsers)
    insights.register(subparsers)
    moderators.register(subparsers)
    plugins.register(subparsers)
    examples.register(subparsers)
    return parser


def main(argv=None):
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ConfigurationError, FileNotFoundError) as exc:
        print(f"portal: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
