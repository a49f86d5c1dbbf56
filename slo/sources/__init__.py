"""Adapters that answer the engine's queries: raw samples, Prometheus, Locust stats, drill records, the registry."""
