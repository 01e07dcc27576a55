"""Crashes injected by tests at the collector's seam (`collector.persisted`)."""

from __future__ import annotations


class CrashForTest(RuntimeError):
    """Raised at `collector.persisted(phase)` to simulate a crash between two phases."""


def crash_after(phase: str):
    """A replacement for `collector.persisted` that crashes right after `phase`."""

    def persisted(name: str) -> None:
        if name == phase:
            raise CrashForTest(f"injected crash after {phase}")

    return persisted
