"""The chart of `make bench`: latency percentiles and throughput per HTTP scenario, as one small PNG.

    python benchmarks/chart.py [results/http_load.json] [results/http_load.png]

Left: p50 (solid) and p99 (dashed) latency against the offered rate, log scale, with the 50 ms line.
Right: achieved (2xx) against offered requests per second; the diagonal is "keeps up".
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: write files only
import matplotlib.pyplot as plt

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS = ("baseline", "health", "create_call", "place_bid", "route")


def draw(source: Path, target: Path) -> Path:
    data = json.loads(source.read_text())
    fig, (latency, throughput) = plt.subplots(1, 2, figsize=(11, 4.2))
    top = 0.0
    for name in SCENARIOS:
        rows = data.get(name) or []
        if not rows:
            continue
        rates = [r["rate"] for r in rows]
        (line,) = latency.plot(rates, [r["p50_ms"] for r in rows], marker="o", label=f"{name} p50")
        latency.plot(rates, [r["p99_ms"] for r in rows], marker="x", ls="--", color=line.get_color(), label="p99")
        throughput.plot(rates, [r["achieved_rps"] for r in rows], marker="o", color=line.get_color(), label=name)
        top = max(top, *rates)
    latency.axhline(data.get("p99_limit_ms", 50), color="grey", lw=0.8, ls=":")
    latency.set(xlabel="offered rate (requests/s)", ylabel="latency from scheduled send (ms)", yscale="log")
    latency.set_title("Latency (open loop)")
    latency.legend(fontsize=7, ncol=2)
    throughput.plot([0, top], [0, top], color="grey", lw=0.8, ls=":")
    throughput.set(xlabel="offered rate (requests/s)", ylabel="achieved 2xx/s")
    throughput.set_title("Throughput")
    throughput.legend(fontsize=7)
    machine = data.get("machine", {})
    fig.suptitle(
        f"Local exchange, {machine.get('cpus')} CPUs, load average {machine.get('loadavg')} at the end, "
        f"{machine.get('measured_at')}",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(target, dpi=70)
    plt.close(fig)
    return target


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else RESULTS / "http_load.json"
    target = Path(argv[1]) if len(argv) > 1 else source.with_suffix(".png")
    if not source.exists():
        print(f"no {source}: run `python -m benchmarks.load` first")
        return 1
    print(f"wrote {draw(source, target)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
