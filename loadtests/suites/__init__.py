"""Locust users and shapes. Importing this package imports Locust (gevent monkey-patching): Locust process only."""
