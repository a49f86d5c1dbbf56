"""Telemetry: traces, metrics, logs and error reporting, configured in one place."""
