"""Load tests: Locust suites, load shapes and the performance gate whose thresholds come from the SLO spec.

Only `loadtests.locustfile` and `loadtests.suites` import Locust (which monkey-patches the process with
gevent); they run in the Locust subprocess. Everything else (profiles, evaluation, reports, the gate) is
plain Python that the CLI and the tests import safely.
"""
