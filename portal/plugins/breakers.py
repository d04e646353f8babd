"""Circuit breakers: one per contribution a plugin makes to requests (a view, a subscriber,
a template), so a failing contribution is switched off on its own and comes back by itself.

States, as ``/-/plugins`` shows them:

- ``serving`` (closed): the contribution runs; failures are counted in a sliding window.
- ``switched_off`` (open): ``threshold`` failures within ``window`` seconds switched it off;
  it is left out (a view steps aside, a subscriber is skipped, a template is rendered from
  the folders behind it) until ``cooldown`` seconds have passed.
- ``retrying`` (half-open): the cool-down is over; the next request that needs it lets it
  try once (one request at a time). Success closes the circuit, failure opens it again
  for another cool-down.

Time is the registry's clock (``portal.ops.clock``): tests move it, nothing sleeps.
"""

import collections
import threading

SERVING, SWITCHED_OFF, RETRYING = "serving", "switched_off", "retrying"


class Policy:
    """``threshold`` failures within ``window`` seconds open a circuit for ``cooldown``
    seconds; a threshold of 0 never opens one."""

    def __init__(self, threshold=5, window=600, cooldown=60):
        self.threshold = threshold
        self.window = window
        self.cooldown = cooldown


class Breaker:
    """The circuit of one contribution of plugin ``rec``: ``kind`` (view, subscriber,
    template) and ``name`` (what an author searches for), ``where`` (file:line)."""

    def __init__(self, rec, kind, name, policy, clock, where=None):
        self.rec = rec
        self.kind = kind
        self.name = name
        self.where = where
        self.policy = policy
        self.clock = clock
        self.lock = threading.Lock()
        self.failures = 0  # since the process started
        self.recent = collections.deque()  # monotonic times of failures in the window
        self.opened_at = None
        self.trial_since = None  # a request is trying it (half-open)
        self.last_error = None
        self.last_failure_at = None  # wall-clock time, for display
        self.times_opened = 0

    @property
    def what(self):
        return f"{self.kind} {self.name}"

    @property
    def state(self):
        if self.opened_at is None:
            return SERVING
        if self.clock.monotonic() - self.opened_at < self.policy.cooldown:
            return SWITCHED_OFF
        return RETRYING

    def retry_in(self):
        """Seconds until a switched-off contribution is tried again (0 when it may be)."""
        if self.opened_at is None:
            return None
        return max(0, round(self.policy.cooldown - (self.clock.monotonic() - self.opened_at)))

    def admit(self):
        """May the contribution run now? ``True``, ``False`` (switched off, or another
        request holds the trial), or ``"trial"``: this request is the one try after the
        cool-down, to report with ``succeeded``, ``failed`` or ``release``."""
        with self.lock:
            if self.opened_at is None:
                return True
            now = self.clock.monotonic()
            if now - self.opened_at < self.policy.cooldown:
                return False
            # A trial that never reported (its request died) is given up after a cool-down.
            if self.trial_since is not None and now - self.trial_since < self.policy.cooldown:
                return False
            self.trial_since = now
            return "trial"

    def succeeded(self):
        with self.lock:
            self.opened_at = None
            self.trial_since = None
            self.recent.clear()

    def release(self):
        """The trial request did not use the contribution after all: let another try."""
        with self.lock:
            self.trial_since = None

    def failed(self, error, wall_time=None):
        """Count a failure; returns True when it switched the contribution off."""
        now = self.clock.monotonic()
        with self.lock:
            self.failures += 1
            self.last_error = error
            self.last_failure_at = wall_time if wall_time is not None else self.clock.time()
            if self.opened_at is not None:  # the trial failed: off for another cool-down
                self.opened_at = now
                self.trial_since = None
                self.times_opened += 1
                return True
            self.recent.append(now)
            while self.policy.window and self.recent and now - self.recent[0] > self.policy.window:
                self.recent.popleft()
            if self.policy.threshold and len(self.recent) >= self.policy.threshold:
                self.opened_at = now
                self.trial_since = None
                self.times_opened += 1
                return True
            return False

    def as_json(self, full=True):
        entry = {"kind": self.kind, "name": self.name, "state": self.state,
                 "failures": self.failures, "retry_in": self.retry_in(),
                 "times_switched_off": self.times_opened}
        if full:
            entry["last_error"] = self.last_error
            entry["where"] = self.where
        return entry
