"""What the benchmarks share: timing a step, and running a command in a process of its own
so that the peak memory printed is the command's (Linux children inherit the parent's
peak, so a benchmark that measures memory keeps its own process small)."""

from __future__ import annotations

import os
import resource
import subprocess
import time


def peak_gib() -> float:
    """The larger peak resident memory of this process and of its children, in GiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024 / 1024


def timed(label: str, fn, width: int = 58):
    """Run `fn`, print its wall time and the peak memory so far; return (result, seconds)."""
    began = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - began
    print(f"{label:<{width}}{elapsed:>9.1f} s   peak {peak_gib():.2f} GiB", flush=True)
    return result, elapsed


def own_process(label: str, args: list[str], width: int = 58) -> tuple[float, float, str]:
    """Run `args` in a process of its own; print and return its wall time and peak memory
    (GiB), and return its output. Fails when it fails."""
    began = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - began
    assert status == 0, out
    peak = usage.ru_maxrss / 1024 / 1024
    print(f"{label:<{width}}{elapsed:>9.1f} s   peak {peak:.2f} GiB", flush=True)
    return elapsed, peak, out
