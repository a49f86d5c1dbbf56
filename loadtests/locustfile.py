"""The Locust entry point the gate runs: `locust -f loadtests/locustfile.py` with LOADTEST_RUN_CONFIG set.

The run configuration picks the user mix (and weights) and the phases; the recorder writes per-second samples.
"""

from __future__ import annotations

from locust import User

from loadtests.suites import recorder  # noqa: F401 - registers the sample recorder's event listeners
from loadtests.suites.common import CONFIG
from loadtests.suites.shape import PhasedShape
from loadtests.suites.users import ChatUser, ReaderUser, TasksUser

_ALL: dict[str, type[User]] = {"ChatUser": ChatUser, "TasksUser": TasksUser, "ReaderUser": ReaderUser}
unknown = sorted(set(CONFIG.mix) - set(_ALL))
if unknown:
    raise RuntimeError(f"unknown user classes in the mix: {', '.join(unknown)} (known: {', '.join(_ALL)})")
for _name, _weight in CONFIG.mix.items():
    _ALL[_name].weight = _weight


class Shape(PhasedShape):
    def __init__(self) -> None:
        super().__init__(CONFIG, [_ALL[name] for name in CONFIG.mix])
