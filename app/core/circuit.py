"""A circuit breaker for calls to a dependency (the model API, the MCP server).

After `failure_threshold` consecutive failures the circuit opens: calls fail at once with `CircuitOpen`
(a 503 with Retry-After) instead of waiting on a dependency that is down and piling up retries. After
`reset_seconds` one trial call is let through (half-open); its success closes the circuit, its failure
opens it again. The state is per process, which is what matters: each process protects its own workers.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from enum import StrEnum

import structlog

from app.core.errors import ServiceUnavailable
from telemetry.metrics import circuit_breaker_open

log = structlog.get_logger(__name__)


class CircuitState(StrEnum):
    closed = "closed"
    open = "open"
    half_open = "half_open"


class CircuitOpen(ServiceUnavailable):
    """The dependency failed repeatedly; calls are refused until the breaker's reset time has passed."""

    code = "dependency_unavailable"

    def __init__(self, name: str, retry_after: float) -> None:
        seconds = max(math.ceil(retry_after), 1)
        super().__init__(
            f"{name} is failing; not calling it again for {seconds} seconds.",
            headers={"Retry-After": str(seconds)},
        )
        self.name = name
        self.retry_after = seconds


class CircuitBreaker:
    """Counts consecutive failures of one dependency and short-circuits calls while it is down."""

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or reset_seconds <= 0:
            raise ValueError("failure_threshold must be >= 1 and reset_seconds > 0")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False
        circuit_breaker_open.labels(name).set(0)

    @property
    def state(self) -> CircuitState:
        """Closed, open, or half-open (the reset time has passed and a trial call may go)."""
        if self._opened_at is None:
            return CircuitState.closed
        if self._clock() - self._opened_at >= self.reset_seconds:
            return CircuitState.half_open
        return CircuitState.open

    def before_call(self) -> None:
        """Call before each attempt.

        Raises:
            CircuitOpen: the circuit is open, or half-open with its one trial call already under way.
        """
        state = self.state
        if state is CircuitState.closed:
            return
        if state is CircuitState.half_open and not self._trial_in_flight:
            self._trial_in_flight = True
            return
        assert self._opened_at is not None
        raise CircuitOpen(self.name, self.reset_seconds - (self._clock() - self._opened_at))

    def record_success(self) -> None:
        """The attempt succeeded: close the circuit."""
        if self._opened_at is not None:
            log.info("circuit_closed", dependency=self.name)
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False
        circuit_breaker_open.labels(self.name).set(0)

    def release_trial(self) -> None:
        """The attempt ended without a verdict (cancelled, abandoned): free the half-open trial slot."""
        self._trial_in_flight = False

    def record_failure(self) -> None:
        """The attempt failed: open the circuit after enough failures in a row, or after a failed trial."""
        self._failures += 1
        trial_failed = self._trial_in_flight
        self._trial_in_flight = False
        if trial_failed or self._failures >= self.failure_threshold:
            if self._opened_at is None or trial_failed:
                log.warning("circuit_opened", dependency=self.name, failures=self._failures)
            self._opened_at = self._clock()
            circuit_breaker_open.labels(self.name).set(1)

    @asynccontextmanager
    async def guard(
        self,
        *,
        verdict: Callable[[Exception], bool | None] = lambda _: True,
        refused: Callable[[CircuitOpen], Exception] | None = None,
    ) -> AsyncIterator[None]:
        """Run the block as one call through the breaker: the one place a call's outcome is booked.

        `verdict(err)` judges an exception from the block: True counts against the dependency, False means it
        answered (the failure was ours), None gives no verdict. Cancellation and an abandoned stream give none
        either, freeing a half-open trial slot. `refused` turns the open circuit into the caller's own error.

        Raises:
            CircuitOpen: (or what `refused` makes of it) without running the block, while the circuit is open.
        """
        try:
            self.before_call()
        except CircuitOpen as err:
            if refused is None:
                raise
            raise refused(err) from err
        try:
            yield
        except Exception as err:
            judged = verdict(err)
            if judged is None:
                self.release_trial()
            elif judged:
                self.record_failure()
            else:
                self.record_success()
            raise
        except BaseException:
            self.release_trial()
            raise
        self.record_success()
