"""Results of `make bench`: one JSON file per benchmark in benchmarks/results/, with the machine's state.

Every result records the load average (`os.getloadavg()`) when it was measured: the machine has 2
cores shared with other work, so a number without it cannot be compared with another.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    """What the numbers depend on, at the moment they are taken."""
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def write(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"benchmark": name, "machine": machine(), **payload}, indent=1) + "\n")
    return path


def percentiles(samples: list[float], *quantiles: float) -> list[float]:
    """Nearest-rank percentiles (no interpolation), NaN for no samples."""
    ordered = sorted(samples)
    if not ordered:
        return [float("nan")] * len(quantiles)
    return [ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in quantiles]
