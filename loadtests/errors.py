"""The load-test package's expected failures; the CLI turns each into a message and an exit code."""

from __future__ import annotations


class LoadTestError(Exception):
    """Base of every expected load-test failure."""


class ProfileError(LoadTestError):
    """The command line asks a profile for something it cannot run; the message says what to ask instead."""


class StartError(LoadTestError):
    """A service the gate needs did not start; the message says which and where its log is."""
