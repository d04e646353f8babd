"""Moderator passwords: argon2id hashes (argon2-cffi), checked in constant time."""

import functools
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10

_hasher = PasswordHasher()
# A check takes 64 MiB and several cores for tens of milliseconds: two at a time per
# process, so a burst of logins queues here instead of starving every other request.
_checking = threading.BoundedSemaphore(2)


def hash_password(password):
    return _hasher.hash(password)


@functools.cache
def _decoy():
    # Checked when the name is unknown, so a wrong name costs what a wrong password does
    # (the answer's timing does not tell which names exist).
    return _hasher.hash("not a moderator's password")


def check_password(password_hash, password):
    """Whether ``password`` matches; ``password_hash`` None checks a decoy (and fails)."""
    with _checking:
        try:
            return _hasher.verify(password_hash or _decoy(), password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(password_hash):
    return _hasher.check_needs_rehash(password_hash)


def weakness(password):
    """Why ``password`` is too weak, or None."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if not password.strip():
        return "a password cannot be only spaces"
    return None
