"""Micro benchmarks of the hot pure code (`make bench`): no I/O, the data already in memory.
(Winner selection over 10 to 10,000 bids is in benchmarks/marketplace.py.)

- compliance: `dce.domain.compliance.decide`, the pre-call decision with its facts already read (what
  `ComplianceService.screen` does between its two DynamoDB round trips). Goal < 20 µs.
- JWT: `TokenCodec.verify_access` of a valid access token (the authorizer's work on every request).
- events: a stream record → `Change` (`change_from`) → `events_for` → `encode_event` (the events
  function's CPU per record), and `encode_event` alone.

Prints µs percentiles and writes benchmarks/results/micro.json. Never asserts on time.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared" / "python")]

from benchmarks import report  # noqa: E402

NOW = datetime(2025, 6, 18, 19, 0, tzinfo=UTC)  # inside TCPA hours for the numbers below
RUNS = 20_000


def timed_us(fn: Callable[[], object], runs: int = RUNS) -> dict[str, float]:
    """p50/p95/p99/max in µs of `runs` calls, after a warm-up; GC off while timing (as a quiet process)."""
    for _ in range(min(runs, 1000)):
        fn()
    samples = []
    gc.disable()
    try:
        for _ in range(runs):
            start = time.perf_counter_ns()
            fn()
            samples.append((time.perf_counter_ns() - start) / 1000)
    finally:
        gc.enable()
    p50, p95, p99 = report.percentiles(samples, 0.50, 0.95, 0.99)
    return {
        "runs": runs,
        "p50_us": round(p50, 2),
        "p95_us": round(p95, 2),
        "p99_us": round(p99, 2),
        "max_us": round(max(samples), 2),
    }


def compliance_cases() -> dict[str, Callable[[], object]]:
    from dce.domain.calls import Direction
    from dce.domain.compliance import (
        CallingHours,
        ComplianceFacts,
        DncEntry,
        DncList,
        Region,
        decide,
        new_restriction,
    )
    from dce.domain.phone import PhoneNumber

    hours = CallingHours.of("08:00", "21:00", "America/New_York")
    restrictions = {
        Region.state("TX"): new_restriction(Region.state("TX"), True, "bench", NOW),
        Region.country(44): new_restriction(Region.country(44), True, "bench", NOW),
    }
    caller, clean = PhoneNumber.parse("+13125550100"), PhoneNumber.parse("+14155550123")
    listed = PhoneNumber.parse("+12125550100")
    dnc = DncEntry(listed.e164, "bench", DncList.FEDERAL, NOW - timedelta(days=1))
    compliant = ComplianceFacts(None, hours, {r: restrictions[r] for r in restrictions if r.code in ("CA", "1")})
    blocked = ComplianceFacts(dnc, hours, {})
    geo = PhoneNumber.parse("+15125550100")  # Texas: restricted
    return {
        "outbound, compliant (DNC, TCPA, geo)": lambda: decide(Direction.OUTBOUND, caller, clean, compliant, NOW),
        "outbound, DNC-blocked": lambda: decide(Direction.OUTBOUND, caller, listed, blocked, NOW),
        "outbound, geo-restricted (TX)": lambda: decide(
            Direction.OUTBOUND, caller, geo, ComplianceFacts(None, hours, restrictions), NOW
        ),
        "inbound, compliant (geo only)": lambda: decide(Direction.INBOUND, clean, caller, compliant, NOW),
    }


def jwt_cases() -> dict[str, Callable[[], object]]:
    from dce.domain.accounts import Role
    from dce.domain.principal import Principal
    from dce.services.tokens import TokenCodec

    codec = TokenCodec("benchmark-secret-0123456789-0123456789-abcdef", 900, 3600)
    token = codec.access_token(Principal("acct-1", Role.BUYER), datetime.now(UTC), "jti-1")
    return {"verify_access (HS256, valid)": lambda: codec.verify_access(token)}


def event_cases() -> dict[str, Callable[[], object]]:
    from boto3.dynamodb.types import TypeSerializer

    from dce.adapters.items import call_item
    from dce.adapters.stream_records import change_from
    from dce.adapters.tables import CALLS
    from dce.api.schemas.events import encode_event
    from dce.domain.calls import Call, CallStatus, Direction
    from dce.domain.events import events_for
    from dce.domain.phone import PhoneNumber

    prefix = "dce-bench"
    call = Call(
        id="5f0c6f8e-4d7e-4a55-9a57-1f0d5d0c0001",
        buyer_id="5f0c6f8e-4d7e-4a55-9a57-1f0d5d0c0002",
        from_number=PhoneNumber.parse("+14155551234"),
        to_number=PhoneNumber.parse("+18005551234"),
        direction=Direction.INBOUND,
        status=CallStatus.PENDING,
        created_at=NOW,
        updated_at=NOW,
        winning_bid_amount=Decimal("22.00"),
    )
    serializer = TypeSerializer()
    image = {key: serializer.serialize(value) for key, value in call_item(call).items()}
    record: dict[str, Any] = {
        "eventID": "1",
        "eventName": "INSERT",
        "eventSourceARN": f"arn:aws:dynamodb:us-east-1:123456789012:table/{CALLS.physical_name(prefix)}/stream/x",
        "dynamodb": {"NewImage": image, "ApproximateCreationDateTime": NOW.timestamp(), "SequenceNumber": "1"},
    }
    (event,) = events_for(change_from(record, prefix))  # type: ignore[arg-type]

    def translate() -> object:
        change = change_from(record, prefix)
        return [encode_event(e) for e in events_for(change)] if change else []

    return {
        "stream record → events → frames (call.created)": translate,
        "encode_event (call.created)": lambda: encode_event(event),
    }


GROUPS: dict[str, tuple[Callable[[], dict[str, Callable[[], object]]], float | None]] = {
    "compliance_decision": (compliance_cases, 20.0),
    "jwt": (jwt_cases, None),
    "events": (event_cases, None),
}


def main() -> int:
    results: dict[str, Any] = {}
    print(f"\nMicro benchmarks (µs; {RUNS:,} runs each; winner selection: benchmarks/marketplace.py)")
    print(f"{'case':<52} {'p50':>9} {'p95':>9} {'p99':>9} {'max':>9}")
    for group, (build, goal) in GROUPS.items():
        rows = {}
        for name, fn in build().items():
            rows[name] = timed_us(fn)
            r = rows[name]
            print(f"{name:<52} {r['p50_us']:>9.1f} {r['p95_us']:>9.1f} {r['p99_us']:>9.1f} {r['max_us']:>9.1f}")
        results[group] = {"goal_p99_us": goal, "cases": rows}
    print(f"wrote {report.write('micro', results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
