"""Pure logic: the sliding window, the JSON depth scan, the CSP hashes, the circuit breaker."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from pathlib import Path

import pytest

from app.api.middleware.body import json_depth_exceeds
from app.api.middleware.headers import inline_script_hashes, origin_of, ui_csp
from app.core.circuit import CircuitBreaker, CircuitOpen, CircuitState
from app.core.ratelimit import MemoryRateLimiter, Quota


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_101st_request_inside_a_minute_is_refused_however_slowly_the_first_100_came() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock)
    quota = [Quota("user", "user:a", 100)]
    for i in range(100):
        decision = await limiter.hit(quota)
        assert decision.allowed, i
        assert decision.remaining == 99 - i
        clock.now += 0.5  # 100 requests spread over 50 seconds
    refused = await limiter.hit(quota)
    assert not refused.allowed
    assert refused.remaining == 0
    # The first request leaves the window 60 s after it came: 10 s from now.
    assert refused.retry_after == 10
    clock.now += 10
    assert (await limiter.hit(quota)).allowed


async def test_a_request_refused_by_one_quota_spends_none_of_the_others() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock)
    general, login = Quota("ip", "ip:x", 100), Quota("login", "login:x", 2)
    assert (await limiter.hit([general, login])).allowed
    assert (await limiter.hit([general, login])).allowed
    refused = await limiter.hit([general, login])
    assert not refused.allowed
    assert refused.scope == "login"
    assert (await limiter.hit([general])).remaining == 100 - 3


async def test_the_tightest_quota_is_the_one_reported() -> None:
    limiter = MemoryRateLimiter(Clock())
    decision = await limiter.hit([Quota("user", "u", 100), Quota("chat", "c", 20)])
    assert (decision.scope, decision.limit, decision.remaining, decision.reset_seconds) == ("chat", 20, 19, 60)


@pytest.mark.parametrize(
    ("body", "max_depth", "too_deep"),
    [
        pytest.param(b'{"title": "a"}', 1, False, id="a flat object is depth one"),
        pytest.param(b'{"a": [1, {"b": []}]}', 4, False, id="exactly the limit passes"),
        pytest.param(b'{"a": [1, {"b": []}]}', 3, True, id="one level over is refused"),
        pytest.param(b'{"a": "[[[[[[{{{{"}', 1, False, id="brackets inside strings do not count"),
        pytest.param(b'{"a": "\\"[[[["}', 1, False, id="escaped quotes do not end the string"),
        pytest.param(b"[]" * 1000 + b"[[[]]]", 3, False, id="many shallow siblings pass"),
        pytest.param(b"[" * 33 + b"]" * 33, 32, True, id="33 nested arrays exceed 32"),
        pytest.param(b"[" * 5000, 32, True, id="unbalanced brackets are judged by their nesting"),
    ],
)
def test_json_depth_is_measured_without_parsing(body: bytes, max_depth: int, too_deep: bool) -> None:
    assert json_depth_exceeds(body, max_depth) is too_deep


def test_json_depth_agrees_with_a_parser_on_a_large_document() -> None:
    doc = {"items": [{"id": i, "tags": ["x", {"deep": [[i]]}]} for i in range(20000)]}
    body = json.dumps(doc).encode()
    # object > items array > object > tags array > object > deep array > array: seven levels
    assert not json_depth_exceeds(body, 7)
    assert json_depth_exceeds(body, 6)


def test_the_ui_policy_allows_exactly_the_inline_scripts_of_the_built_pages(tmp_path: Path) -> None:
    (tmp_path / "chat").mkdir()
    (tmp_path / "index.html").write_text('<html><script>self.__next_f=[]</script><script src="/a.js"></script>')
    (tmp_path / "chat" / "index.html").write_text("<script async>go()</script><script></script>")
    expected = sorted(
        f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'" for s in (b"self.__next_f=[]", b"go()")
    )
    assert inline_script_hashes(tmp_path) == expected
    policy = ui_csp(expected, ["https://o1.ingest.sentry.io"])
    assert f"script-src 'self' {' '.join(expected)};" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "connect-src 'self' https://o1.ingest.sentry.io;" in policy
    assert "frame-ancestors 'none'" in policy


def test_origin_of_keeps_scheme_host_and_port_only() -> None:
    assert origin_of("https://key@o1.ingest.sentry.io/42") == "https://o1.ingest.sentry.io"
    assert origin_of("http://127.0.0.1:9000/x") == "http://127.0.0.1:9000"
    assert origin_of("not a url") is None


async def test_the_circuit_opens_after_repeated_failures_and_closes_after_a_good_trial() -> None:
    clock = Clock()
    breaker = CircuitBreaker("model", failure_threshold=3, reset_seconds=10, clock=clock)
    calls = 0

    async def call(fail: bool) -> str:
        nonlocal calls
        async with breaker.guard():
            calls += 1
            if fail:
                raise ConnectionError("down")
            return "ok"

    for _ in range(3):
        with pytest.raises(ConnectionError):
            await call(fail=True)
    assert breaker.state is CircuitState.open
    with pytest.raises(CircuitOpen) as refused:
        await call(fail=False)
    assert calls == 3, "an open circuit does not call the dependency"
    assert refused.value.status_code == 503
    assert refused.value.headers["Retry-After"] == "10"

    clock.now += 10
    assert breaker.state is CircuitState.half_open
    with pytest.raises(ConnectionError):
        await call(fail=True)
    assert breaker.state is CircuitState.open, "a failed trial opens the circuit again at once"

    clock.now += 10
    assert await call(fail=False) == "ok"
    assert breaker.state is CircuitState.closed


async def test_errors_that_are_not_the_dependencys_fault_do_not_trip_the_circuit() -> None:
    breaker = CircuitBreaker("model", failure_threshold=1, reset_seconds=10, clock=Clock())
    with pytest.raises(ValueError, match="too long"):
        async with breaker.guard(verdict=lambda err: not isinstance(err, ValueError)):
            raise ValueError("the prompt is too long")
    assert breaker.state is CircuitState.closed


async def test_a_trial_without_a_verdict_frees_the_half_open_slot_for_the_next_caller() -> None:
    clock = Clock()
    breaker = CircuitBreaker("model", failure_threshold=1, reset_seconds=10, clock=clock)
    with pytest.raises(ConnectionError):
        async with breaker.guard():
            raise ConnectionError("down")
    clock.now += 10
    # Our own bug mid-call (no verdict), then a cancelled call: neither judges the dependency nor keeps the slot.
    with pytest.raises(KeyError):
        async with breaker.guard(verdict=lambda _: None):
            raise KeyError("ours")
    with pytest.raises(asyncio.CancelledError):
        async with breaker.guard():
            raise asyncio.CancelledError
    assert breaker.state is CircuitState.half_open
    async with breaker.guard():
        pass
    assert breaker.state is CircuitState.closed


async def test_an_open_circuit_is_refused_in_the_callers_own_words() -> None:
    clock = Clock()
    breaker = CircuitBreaker("mcp", failure_threshold=1, reset_seconds=7, clock=clock)
    with pytest.raises(ConnectionError):
        async with breaker.guard():
            raise ConnectionError("down")
    with pytest.raises(LookupError, match="tools away for 7 s") as refused:
        async with breaker.guard(refused=lambda err: LookupError(f"tools away for {err.retry_after} s")):
            pytest.fail("an open circuit runs nothing")
    assert isinstance(refused.value.__cause__, CircuitOpen)
