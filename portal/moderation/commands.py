"""``portal moderator add CONFIG NAME``: create a moderator (or set a new password with
``--reset``, which ends every session of theirs). The password is asked twice on a
terminal; from a pipe (scripts, tests) it is the first line of standard input. Only its
argon2 hash is stored. ``portal moderator revoke CONFIG NAME`` ends every session of a
moderator (a lost laptop, a copied cookie) without changing the password."""

import getpass
import sys

from pyramid.paster import bootstrap, setup_logging
from sqlalchemy import select

from .sessions import revoke_sessions, set_password

NAME_MAX = 80


class CommandError(Exception):
    pass


def read_password(stdin=None):
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password (again): ")
        if first != second:
            raise CommandError("the two passwords differ; nothing was changed")
        return first
    line = stdin.readline()
    if not line:
        raise CommandError("no password on standard input")
    return line.rstrip("\r\n")


def add(args):
    from .models import Moderator
    from .passwords import hash_password, weakness

    name = args.name.strip()
    if not name or len(name) > NAME_MAX or any(c.isspace() for c in name):
        print(f"portal: moderator name {args.name!r} must be 1 to {NAME_MAX} characters "
              "without spaces", file=sys.stderr)
        return 2
    try:
        password = read_password()
    except CommandError as exc:
        print(f"portal: {exc}", file=sys.stderr)
        return 1
    problem = weakness(password)
    if problem:
        print(f"portal: {problem}; nothing was changed", file=sys.stderr)
        return 1
    setup_logging(args.config)
    with bootstrap(args.config) as env:
        request = env["request"]
        with request.tm:
            dbsession = request.dbsession
            moderator = dbsession.scalar(select(Moderator).where(Moderator.name == name))
            if moderator is not None and not args.reset:
                print(f"portal: moderator {name!r} exists; use --reset to set a new password",
                      file=sys.stderr)
                return 1
            if moderator is None:
                dbsession.add(Moderator(name=name, password_hash=hash_password(password)))
                done = "added"
            else:
                ended = set_password(dbsession, moderator, password)
                done = f"given a new password ({ended} session{'s' if ended != 1 else ''} ended)"
    print(f"moderator {name!r} {done}; log in at /-/moderation/@@login")
    return 0


def revoke(args):
    from .models import Moderator

    setup_logging(args.config)
    with bootstrap(args.config) as env:
        request = env["request"]
        with request.tm:
            dbsession = request.dbsession
            moderator = dbsession.scalar(select(Moderator).where(Moderator.name == args.name))
            if moderator is None:
                print(f"portal: there is no moderator {args.name!r}", file=sys.stderr)
                return 1
            ended = revoke_sessions(dbsession, moderator.id)
    print(f"moderator {args.name!r}: {ended} session{'s' if ended != 1 else ''} ended")
    return 0


def register(subparsers):
    moderator = subparsers.add_parser("moderator", help="manage the moderators of comments")
    actions = moderator.add_subparsers(dest="action", required=True)
    adder = actions.add_parser("add", help="add a moderator (asks for the password)")
    adder.add_argument("config", help="the .ini file, e.g. development.ini")
    adder.add_argument("name", help="the moderator's login name")
    adder.add_argument("--reset", action="store_true",
                       help="set a new password for an existing moderator")
    adder.set_defaults(func=add)
    revoker = actions.add_parser("revoke", help="end every session of a moderator")
    revoker.add_argument("config", help="the .ini file, e.g. development.ini")
    revoker.add_argument("name", help="the moderator's login name")
    revoker.set_defaults(func=revoke)
