"""The time, as one injectable service: every rule that depends on time passing (the comment
edit window, form stamps, rate limits, the page cache, plugin cool-downs) asks the clock on
the registry (``request.clock``), so a test moves the clock instead of sleeping.

``portal.clock`` in the settings replaces the system clock (the test kit passes a
``portal.testing.ManualClock``); an .ini file never sets it.
"""

import datetime
import time


def utcnow():
    """Now in UTC as a naive datetime: how the database columns store moments."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def rfc3339(moment):
    """A naive UTC datetime as ``2026-12-02T10:30:00Z`` (feeds, the JSON API)."""
    return moment.replace(microsecond=0).isoformat() + "Z"


class SystemClock:
    """The machine's clocks: wall time for what is stored or signed, monotonic time for
    what only measures intervals inside the process."""

    def time(self):
        return time.time()

    def monotonic(self):
        return time.monotonic()

    def utcnow(self):
        return utcnow()


def includeme(config):
    settings = config.get_settings()
    clock = settings.get("portal.clock") or SystemClock()
    config.registry.portal_clock = clock
    config.add_request_method(lambda request: request.registry.portal_clock, "clock", reify=True)
