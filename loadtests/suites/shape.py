"""One shape for every profile: it plays the run's phases (constant, step, spike, soak) in order."""

from __future__ import annotations

from locust import LoadTestShape, User

from loadtests.runconfig import RunConfig


class PhasedShape(LoadTestShape):
    """Users and spawn rate per phase from the run configuration; stops after the last phase."""

    abstract = True  # the locustfile's subclass, bound to the run's configuration, is the one Locust uses

    def __init__(self, config: RunConfig, user_classes: list[type[User]]) -> None:
        super().__init__()
        self.phases = config.phases
        self.user_classes = user_classes

    def tick(self) -> tuple[int, float, list[type[User]]] | None:
        elapsed = self.get_run_time()
        for _label, users, seconds, spawn_rate in self.phases:
            if elapsed < seconds:
                return users, spawn_rate, self.user_classes
            elapsed -= seconds
        return None
