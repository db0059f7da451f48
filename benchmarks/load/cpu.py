"""Where the CPU goes during a step: this process (the generator) and the servers it started, from /proc.

On a 2-core machine the generator, uvicorn + moto + the stream poller (one process: the gateway) and
the worker processes share two cores, so a result is only explainable with this split. Linux only;
elsewhere it reports nothing.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) of a process, or None if it is gone."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def _label(pid: int, parent_label: str | None) -> str:
    try:
        command = (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "other"
    if "-m local" in command:
        return "gateway (uvicorn + moto + stream poller)"
    if "benchmarks.load.baseline" in command:
        return "baseline (uvicorn)"
    if "multiprocessing" in command and parent_label and parent_label.startswith("gateway"):
        return "workers (Lambda handlers)"
    return parent_label or "other"


def snapshot() -> dict[str, float]:
    """CPU seconds so far of this process ("generator") and of every descendant, by role."""
    me = os.getpid()
    if not PROC.is_dir():
        return {}
    parents: dict[int, int] = {}
    seconds: dict[int, float] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            found = _stat(int(entry.name))
            if found is not None:
                parents[int(entry.name)], seconds[int(entry.name)] = found
    labels: dict[int, str] = {me: "generator"}
    totals: dict[str, float] = defaultdict(float, {"generator": seconds.get(me, 0.0)})
    pending = [me]
    while pending:
        parent = pending.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in labels:
                labels[pid] = _label(pid, None if parent == me else labels[parent])
                totals[labels[pid]] += seconds[pid]
                pending.append(pid)
    return dict(totals)


def cores_used(before: dict[str, float], after: dict[str, float], wall_s: float) -> dict[str, float]:
    """Cores used by each role between two snapshots (1.0 = one core busy the whole time)."""
    return {role: round((after[role] - before.get(role, 0.0)) / wall_s, 2) for role in after if wall_s > 0}
