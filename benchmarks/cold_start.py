"""Cold start: how long each Lambda handler takes to import, and to be ready for its first event.

What Lambda runs: each handler is imported in an isolated interpreter (`-I -S`: no site-packages, no
PYTHON* variables) whose path is only the function's folder and the built layer's `python/` (as
/var/task and /opt/python), with Lambda's environment variables (so Powertools' Tracer is on, as there).
The layer comes from `infra.layer.build_layer("full")` (cached under .build/layer); when it cannot be
built, the dev venv stands in, with a warning (it holds packages the layer does not).

- import: executing the handler module (Lambda's INIT, up to the handler being callable);
- ready: import + building what the first event needs, process-wide (services, boto3 clients and
  resources, the JWT codec from `DCE_JWT_SECRET`); no network is touched. Moving work from import into
  the first invocation moves it from one column to the other, it saves nothing.

Bytecode: Lambda cannot write `__pycache__` into /opt or /var/task (read-only), so a layer without .pyc
files compiles every module on every cold start. The main columns are measured with bytecode available
(cached under .build/bench-pycache, never in the layer); when the layer ships none, the `no .pyc`
column shows what that costs today. Each number is the best of a few runs: other processes on the
machine can only add time. Target: import ≤ 300 ms. Run with `make bench`; `--tree DIR` measures another
checkout (e.g. `git archive HEAD | tar -x -C DIR` for a before/after).
"""

from __future__ import annotations

import argparse
import json
import os
import site
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]
RUNS = 5
RUNS_WITHOUT_BYTECODE = 3
PYCACHE = ROOT / ".build" / "bench-pycache"

# What each function's first event needs built (the upper bound: e.g. the authorizer's API-key path too).
DYNAMODB = "from dce.adapters import aws; aws.dynamodb()"
READY = {
    "accounts": "s = services(); s.accounts; s.auth; s.api_keys; s.cursors; " + DYNAMODB,
    "calls": "s = services(); s.calls; s.cursors; " + DYNAMODB,
    "auctions": "s = services(); s.auctions; s.cursors; " + DYNAMODB,
    "bids": "s = services(); s.bids; s.bid_profiles; s.cursors; " + DYNAMODB,
    "compliance": "s = services(); s.compliance; s.cursors; " + DYNAMODB,
    "auction_close": "s = services(); s.auctions; " + DYNAMODB,
    "authorizer": "s = services(); s.tokens; s.api_keys; " + DYNAMODB,
    "ws": "from dce.bootstrap import connections; connections(); " + DYNAMODB,
    "events": "from dce.bootstrap import events; events(); " + DYNAMODB,
    # The automatic bids: the call's facts need phonenumbers.
    "autobids": "s = services(); s.auto_bids; import phonenumbers; " + DYNAMODB,
}

PROBE = """
import json, sys, time
sys.path[:0] = {paths!r}
start = time.perf_counter()
import {module}
imported = time.perf_counter()
from dce.bootstrap import services
{ready}
done = time.perf_counter()
print(json.dumps({{"import": (imported - start) * 1000, "ready": (done - start) * 1000}}))
"""


BUILD_LAYER = """
import sys
from pathlib import Path
from infra.layer import build_layer
tree = Path(sys.argv[1])
directory, _ = build_layer("full", build_dir=tree / ".build" / "layer", package_dir=tree / "layers/shared/python/dce")
print(directory / "python")
"""


def layer_paths(tree: Path) -> list[str]:
    """The probe's sys.path after the function folder: the built layer, or the dev venv as a fallback.
    Built in a child process: importing the CDK starts a Node.js runtime that talks on stderr."""
    build = subprocess.run(  # noqa: S603 (our own code, our interpreter)
        [sys.executable, "-c", BUILD_LAYER, str(tree)], capture_output=True, text=True, check=False, cwd=ROOT
    )
    if build.returncode == 0:
        return [build.stdout.strip().splitlines()[-1]]
    reason = (build.stderr.strip().splitlines() or ["unknown error"])[-1]
    print(f"WARNING: the Lambda layer could not be built ({reason}); measuring the dev venv instead,")
    print("         which holds packages the layer does not (numbers may differ from Lambda's)")
    return [str(tree / "layers" / "shared" / "python"), *site.getsitepackages()]


def lambda_env(area: str, folder: Path) -> dict[str, str]:
    """What Lambda sets (credentials come from the environment there too), plus the dev JWT key."""
    return {
        "LAMBDA_TASK_ROOT": str(folder),
        "AWS_LAMBDA_FUNCTION_NAME": area,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "POWERTOOLS_SERVICE_NAME": "dce",
        "POWERTOOLS_METRICS_NAMESPACE": "dce-bench",
        "DCE_JWT_SECRET": "x" * 40,
        "DCE_AUCTION_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:bench",
        "PATH": "",
    }


def probe(area: str, module_path: Path, paths: list[str], bytecode: bool, flags: tuple[str, ...] = ()) -> list[str]:
    code = PROBE.format(
        paths=[str(module_path.parent), *paths], module=module_path.stem, ready=READY[area].replace("; ", "\n")
    )
    cache = ("-X", f"pycache_prefix={PYCACHE}") if bytecode else ("-B",)
    return [sys.executable, "-I", "-S", *cache, *flags, "-c", code]


def measure(area: str, module_path: Path, paths: list[str], bytecode: bool) -> dict[str, float]:
    command = probe(area, module_path, paths, bytecode)
    env = lambda_env(area, module_path.parent)
    out = subprocess.run(command, capture_output=True, text=True, check=False, env=env)  # noqa: S603
    if out.returncode != 0:
        raise RuntimeError(f"{area}: the probe failed\n{out.stderr[-3000:]}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def top_imports(area: str, module_path: Path, paths: list[str], count: int = 12) -> list[tuple[int, str]]:
    command = probe(area, module_path, paths, bytecode=True, flags=("-X", "importtime"))
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=lambda_env(area, module_path.parent))  # noqa: S603
    rows = []
    for line in out.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1].strip()), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    from dce.api.routes import AREAS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout to measure (default: this one)")
    tree = parser.parse_args().tree.resolve()
    paths = layer_paths(tree)
    layer = Path(paths[0])
    ships_bytecode = any(layer.rglob("*.pyc"))
    source = f"layer {layer.parent.name}" if layer.name == "python" else "dev venv"
    print(f"\nCold start of each Lambda handler ({source}; best of {RUNS} isolated interpreters), ms")
    print("target: import ≤ 300 ms; ready = import + the services its first event needs")
    header = f"{'function':<16} {'import':>8} {'ready':>8}"
    print(header + ("" if ships_bytecode else f" {'import, no .pyc':>16} {'ready, no .pyc':>15}"))
    imports: dict[str, float] = {}
    for area in AREAS:
        module_path = tree / "functions" / area.code_folder / f"{area.module}.py"
        measure(area.name, module_path, paths, bytecode=True)  # fills the bytecode cache
        runs = [measure(area.name, module_path, paths, bytecode=True) for _ in range(RUNS)]
        imports[area.name] = min(r["import"] for r in runs)
        row = f"{area.name:<16} {imports[area.name]:>8.0f} {min(r['ready'] for r in runs):>8.0f}"
        if not ships_bytecode:
            cold = [measure(area.name, module_path, paths, bytecode=False) for _ in range(RUNS_WITHOUT_BYTECODE)]
            row += f" {min(r['import'] for r in cold):>16.0f}"
            row += f" {min(r['ready'] for r in cold):>15.0f}"
        print(row)
    if not ships_bytecode:
        print("\nThe layer ships no .pyc: on Lambda (read-only /opt) every cold start compiles every module it")
        print("imports, as in the `no .pyc` columns. Precompiled bytecode (unchecked-hash .pyc, valid whatever")
        print("the zip's timestamps) would make Lambda's cold start the first two columns.")
    slowest = max(imports, key=lambda name: imports[name])
    area = next(a for a in AREAS if a.name == slowest)
    print(f"\nLargest cumulative imports of {slowest} (µs):")
    for micros, name in top_imports(slowest, tree / "functions" / area.code_folder / f"{area.module}.py", paths):
        print(f"{micros:>10}  {name}")


if __name__ == "__main__":
    main()
