"""What the gate tells the Locust process about a run, as one JSON file named by LOADTEST_RUN_CONFIG."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

ENV_VAR = "LOADTEST_RUN_CONFIG"


@dataclass(frozen=True, slots=True)
class Account:
    email: str
    password: str


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Phases as (label, users, seconds, spawn_rate); the mix as user class -> weight."""

    phases: list[tuple[str, int, float, float]]
    mix: dict[str, int]
    wait_scale: float
    accounts: list[Account]
    samples_path: str
    stop_path: str
    extra: dict[str, str] = field(default_factory=dict)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> RunConfig:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["accounts"] = [Account(**a) for a in data["accounts"]]
        data["phases"] = [tuple(p) for p in data["phases"]]
        return cls(**data)

    @classmethod
    def from_env(cls) -> RunConfig:
        """The run's configuration; a clear error when Locust was started without the gate."""
        path = os.environ.get(ENV_VAR)
        if not path:
            raise RuntimeError(
                f"{ENV_VAR} is not set: run the suites through `todochat loadtest gate` (or `todochat loadtest "
                "locust`), which prepares accounts and the run's phases"
            )
        return cls.read(Path(path))
