"""Load profiles: what each gate runs (scenarios of user mixes, phases of load, fake Gemini latency).

Pure data. The gate turns a profile into Locust runs; the Locust shape plays the same phases.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from loadtests.errors import ProfileError


@dataclass(frozen=True, slots=True)
class LatencyModel:
    """How the fake Gemini answers: time to first token, delay per token, uniform jitter (milliseconds)."""

    name: str
    ttft_ms: float = 0.0
    token_delay_ms: float = 0.0
    jitter_ms: float = 0.0


ZERO_LATENCY = LatencyModel("zero")
# Gemini 2.5 Flash as seen from a nearby region: about half a second to the first token, a few milliseconds a
# token after that, and a long tail; a chat turn makes two model calls (tool choice, then the answer).
REALISTIC_LATENCY = LatencyModel("realistic", ttft_ms=450.0, token_delay_ms=4.0, jitter_ms=300.0)


@dataclass(frozen=True, slots=True)
class Phase:
    """`users` for `seconds`, reached at `spawn_rate` users/s; the first `settle` seconds are not judged."""

    label: str
    users: int
    seconds: float
    spawn_rate: float
    settle: float = 5.0
    judged: bool = True


@dataclass(frozen=True, slots=True)
class Scenario:
    """One Locust run: a user mix, its phases and the fake Gemini's latency.

    `capacity`: each judged phase is a step; the result is the highest rate a step sustained within the SLO.
    `min_rps`: the least requests/s (whole run) or capacity (step runs) that passes; None derives it from
    the spec (capacity) or the offered load (paced runs).
    `wait_scale`: multiplies the users' think times (0 = no think time: closed-loop users as fast as answers come).
    """

    name: str
    mix: dict[str, int]
    phases: tuple[Phase, ...]
    latency: LatencyModel = REALISTIC_LATENCY
    wait_scale: float = 1.0
    capacity: bool = False
    min_rps: float | None = None
    processes: int = 0  # Locust worker processes; 0 runs one process

    @property
    def seconds(self) -> float:
        return sum(p.seconds for p in self.phases)


@dataclass(frozen=True, slots=True)
class Profile:
    """A named gate: its scenarios, how spec windows scale to run length, and how many app workers serve it."""

    name: str
    description: str
    scenarios: tuple[Scenario, ...]
    window_scale: float = 1.0  # the rollback rule's window (15 min in the spec) times this
    app_workers: int = 1
    accounts: int = 8
    abort_early: bool = True
    extra: dict[str, str] = field(default_factory=dict)


MIXED = {"ChatUser": 1, "TasksUser": 2, "ReaderUser": 2}
READ = {"ReaderUser": 1}
CHAT = {"ChatUser": 1}
TASKS = {"TasksUser": 1}
MIXES = {"mixed": MIXED, "read": READ, "chat": CHAT, "tasks": TASKS}


def constant(users: int, seconds: float, *, spawn_rate: float = 5.0, settle: float = 5.0) -> tuple[Phase, ...]:
    """Ramp to `users`, hold: the ramp and `settle` seconds after it are excluded from judgement."""
    ramp = users / spawn_rate
    return (Phase("steady", users, ramp + settle + seconds, spawn_rate, settle=ramp + settle),)


def step(start: int, add: int, steps: int, seconds: float, *, settle: float = 5.0) -> tuple[Phase, ...]:
    """Capacity search: `steps` plateaus of `seconds`, each `add` users above the last."""
    return tuple(
        Phase(f"step {i + 1}", start + i * add, seconds, spawn_rate=max(add, start) * 2.0, settle=settle)
        for i in range(steps)
    )


def spike(base: int, peak: int, *, base_seconds: float = 30, peak_seconds: float = 20) -> tuple[Phase, ...]:
    """Baseline, a sudden spike (users arrive within a second), back to baseline; every plateau is judged."""
    return (
        Phase("baseline", base, base_seconds, spawn_rate=base, settle=base_seconds / 3),
        Phase("spike", peak, peak_seconds, spawn_rate=float(peak), settle=2.0),
        Phase("recovery", base, base_seconds, spawn_rate=float(peak), settle=5.0),
    )


def soak(users: int, minutes: float) -> tuple[Phase, ...]:
    """A long plateau: slow leaks, pool exhaustion and token expiry show up over time."""
    return constant(users, minutes * 60, spawn_rate=2.0, settle=30.0)


PROFILES: dict[str, Profile] = {
    "ci": Profile(
        "ci",
        "The performance gate of every build: a mixed load well inside one instance's capacity, about 2 minutes.",
        # Two users a second: each signs in (an argon2 check) as it starts, and sign-ins must not pile up.
        (Scenario("mixed", MIXED, constant(20, 60, spawn_rate=2.0, settle=5.0)),),
        window_scale=1 / 60,  # the spec's 15-minute rollback window becomes 15 s
        accounts=6,
    ),
    "capacity": Profile(
        "capacity",
        "The highest rate one instance sustains within the latency SLO, per mix; read must reach the scale-out rate.",
        (
            Scenario("read", READ, step(8, 8, 5, 15), ZERO_LATENCY, wait_scale=0.0, capacity=True, processes=2),
            Scenario(
                "chat-zero-latency", CHAT, step(2, 4, 4, 20), ZERO_LATENCY, wait_scale=0.0, capacity=True, min_rps=0.0
            ),
            Scenario(
                "chat-realistic-latency",
                CHAT,
                step(4, 8, 4, 20),
                REALISTIC_LATENCY,
                wait_scale=0.0,
                capacity=True,
                min_rps=0.0,
            ),
        ),
        window_scale=1 / 60,
        app_workers=2,
    ),
    "soak": Profile(
        "soak",
        "A long mixed run at a moderate load, judged with the spec's full 15-minute rollback window.",
        (Scenario("mixed", MIXED, soak(20, 30)),),
        window_scale=1.0,
    ),
    "spike": Profile(
        "spike",
        "Baseline, a sudden threefold spike, recovery: latency and errors must stay within the SLO throughout.",
        (Scenario("mixed", MIXED, spike(10, 30)),),
        window_scale=1 / 60,
    ),
}


def adjusted(
    profile: Profile,
    *,
    mix: str | None = None,
    users: int | None = None,
    seconds: float | None = None,
    latency: LatencyModel | None = None,
    processes: int | None = None,
    app_workers: int | None = None,
    only: str | None = None,
) -> Profile:
    """The profile with command-line overrides applied (to every scenario, or only to the one named).

    Raises:
        ProfileError: no scenario is named `only`, or `mix` is asked of a profile with a scenario per mix.
    """
    names = ", ".join(s.name for s in profile.scenarios)
    if mix is not None and len(profile.scenarios) > 1:
        # Each scenario's name, latency and throughput floor belong to its own mix: another mix would run under them.
        raise ProfileError(
            f"profile {profile.name!r} runs one scenario per mix ({names}); --mix replaces the mix of a profile "
            "with a single scenario: choose one of these with --scenario instead"
        )
    scenarios = []
    for scenario in profile.scenarios:
        if only is not None and scenario.name != only:
            continue
        if mix is not None:
            scenario = replace(scenario, mix=MIXES[mix], name=mix)
        if users is not None or seconds is not None:
            scenario = replace(scenario, phases=_rescaled(scenario.phases, users, seconds))
        if latency is not None:
            scenario = replace(scenario, latency=latency)
        if processes is not None:
            scenario = replace(scenario, processes=processes)
        scenarios.append(scenario)
    if not scenarios:
        raise ProfileError(f"profile {profile.name!r} has no scenario {only!r} (it has: {names})")
    workers = app_workers if app_workers is not None else profile.app_workers
    return replace(profile, scenarios=tuple(scenarios), app_workers=workers)


def _rescaled(phases: tuple[Phase, ...], users: int | None, seconds: float | None) -> tuple[Phase, ...]:
    if len(phases) == 1:
        (p,) = phases
        held = p.seconds - p.settle
        return constant(users or p.users, seconds if seconds is not None else held, spawn_rate=p.spawn_rate, settle=5.0)
    out = []
    for p in phases:
        scaled_users = p.users if users is None else max(1, round(p.users * users / phases[0].users))
        out.append(replace(p, users=scaled_users, seconds=seconds if seconds is not None else p.seconds))
    return tuple(out)
