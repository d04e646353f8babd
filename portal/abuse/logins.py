"""The moderator login limit: per client address and per account, atomic.

Every attempt reserves its place first, in a short transaction of its own: both keys are
locked (``limits.lock``), the failures counted, and the attempt recorded as a failure,
then committed, all before the (slow, argon2) password check. So parallel attempts from
one address, or on one account from many addresses, cannot all slip under a limit (a
limit of 10 lets exactly 10 passwords be checked, however many arrive at once), and no
lock is held while a password is checked. A successful login takes its reservation back.

- Per address: ``portal.login.rate_limit`` failures per ``portal.login.rate_window`` seconds,
  then 429 until the oldest failure leaves the window.
- Per account (whatever the address): after ``portal.login.account_limit`` failures in the
  window, each further attempt waits a back-off after the latest failure that doubles with
  every failure (1 s, 2 s, 4 s ...) up to ``portal.login.max_backoff`` seconds. A guesser
  spread over many addresses gets a few tries an hour; the moderator, whose password is
  right, waits at most ``max_backoff`` after the guessing stops. A successful login clears
  the account's failures.
"""

import math

from .limits import count_recent, forget, keyed, latest, lock, record

ADDRESS = "login"
ACCOUNT = "login-account"


def account_key(request, name):
    return keyed(request, "account", " ".join(name.casefold().split()))


def backoff(failures, settings):
    """Seconds an account waits after its latest failure, having ``failures`` in the window."""
    over = failures - settings["portal.login.account_limit"]
    if over < 0:
        return 0
    return min(2 ** min(over, 30), settings["portal.login.max_backoff"])


def refusal(request, name):
    """``(seconds to wait, why)`` if this attempt may not be checked, or None if it may, in
    which case it is already recorded as a failure (``succeeded`` takes it back)."""
    settings = request.registry.settings
    window = settings["portal.login.rate_window"]
    address, account = request.client_key, account_key(request, name)
    with request.registry["dbsession_factory"]() as db:
        lock(request, address, account, dbsession=db)
        failures, wait = count_recent(request, ADDRESS, window, dbsession=db)
        if failures >= settings["portal.login.rate_limit"]:
            return wait, "Too many failed logins from your address"
        tries, _ = count_recent(request, ACCOUNT, window, account, dbsession=db)
        delay = backoff(tries, settings)
        if delay:
            last = latest(request, ACCOUNT, account, dbsession=db)
            since = (request.clock.utcnow() - last).total_seconds()
            if since < delay:
                return max(1, math.ceil(delay - since)), "Too many failed logins for this name"
        record(request, ADDRESS, window, dbsession=db)
        record(request, ACCOUNT, window, account, dbsession=db)
        db.commit()
    return None


def succeeded(request, name):
    """The password was right: the attempt was no failure, and the account starts afresh."""
    forget(request, ACCOUNT, account_key(request, name))
    newest = latest(request, ADDRESS, request.client_key)
    if newest is not None:
        forget(request, ADDRESS, request.client_key, at=newest)
