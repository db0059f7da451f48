"""Cold start: how long importing each Lambda handler module takes in a fresh interpreter.

Lambda pays this on every cold start (before the first event). Target: ≤ 300 ms per handler.
Run with `make bench`. The largest imports are listed with `-X importtime` for the slowest handler.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]
RUNS = 5
PROBE = """
import json, sys, time
sys.path[:0] = [{root!r}, {layer!r}]
import importlib.util
start = time.perf_counter()
spec = importlib.util.spec_from_file_location("handler_under_test", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps({{"ms": (time.perf_counter() - start) * 1000}}))
"""


def import_ms(path: Path) -> float:
    code = PROBE.format(root=str(ROOT), layer=str(ROOT / "layers/shared/python"), path=str(path))
    env = {"DCE_JWT_SECRET": "x" * 40, "AWS_DEFAULT_REGION": "us-east-1", "PATH": ""}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)  # noqa: S603
    return float(json.loads(out.stdout.strip().splitlines()[-1])["ms"])


def top_imports(path: Path, count: int = 8) -> list[tuple[int, str]]:
    code = PROBE.format(root=str(ROOT), layer=str(ROOT / "layers/shared/python"), path=str(path))
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    rows = []
    for line in out.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1].strip()), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    from dce.api.routes import AREAS

    print(f"\nCold import of each Lambda handler (median of {RUNS} fresh interpreters), target ≤ 300 ms")
    print(f"{'function':<16} {'ms':>8}")
    results = {}
    for area in AREAS:
        path = ROOT / "functions" / area.code_folder / f"{area.module}.py"
        results[area.name] = statistics.median(import_ms(path) for _ in range(RUNS))
        print(f"{area.name:<16} {results[area.name]:>8.0f}")
    slowest = max(results, key=lambda name: results[name])
    area = next(a for a in AREAS if a.name == slowest)
    print(f"\nLargest cumulative imports of {slowest} (µs):")
    for micros, name in top_imports(ROOT / "functions" / area.code_folder / f"{area.module}.py"):
        print(f"{micros:>10}  {name}")


if __name__ == "__main__":
    main()
