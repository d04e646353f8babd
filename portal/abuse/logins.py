"""The moderator login limit: per client address and per account, atomic.

Both keys are locked (``limits.lock``) before anything is counted, and held until the
request's transaction ends, so parallel attempts from one address, or on one account from
many addresses, are checked one after the other: a limit of 10 lets exactly 10 passwords be
checked, however many arrive at once.

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
    """Lock this address and account, then ``(seconds to wait, why)`` if this attempt may
    not be checked, or None if it may."""
    settings = request.registry.settings
    window = settings["portal.login.rate_window"]
    address, account = request.client_key, account_key(request, name)
    lock(request, address, account)
    failures, wait = count_recent(request, ADDRESS, window)
    if failures >= settings["portal.login.rate_limit"]:
        return wait, "Too many failed logins from your address"
    tries, _ = count_recent(request, ACCOUNT, window, account)
    delay = backoff(tries, settings)
    if delay:
        since = (request.clock.utcnow() - latest(request, ACCOUNT, account)).total_seconds()
        if since < delay:
            return max(1, math.ceil(delay - since)), "Too many failed logins for this name"
    return None


def failed(request, name):
    window = request.registry.settings["portal.login.rate_window"]
    record(request, ADDRESS, window)
    record(request, ACCOUNT, window, account_key(request, name))


def succeeded(request, name):
    forget(request, ACCOUNT, account_key(request, name))
