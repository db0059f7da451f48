"""The events table: every domain event as it was delivered (frame and audience), kept for a week."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from dce.adapters import aws
from dce.adapters.items import ts
from dce.adapters.tables import EVENTS
from dce.services.events import Outgoing

RETENTION = timedelta(days=7)


def event_item(outgoing: Outgoing) -> dict[str, Any]:
    event = outgoing.event
    return {
        "id": event.id,
        "type": event.type,
        "ts": ts(event.ts),
        "frame": outgoing.frame.decode(),
        "accounts": sorted(outgoing.accounts),
        "expires_at_epoch": int((event.ts + RETENTION).timestamp()),
    }


class DynamoEventLog:
    def record(self, outgoing: Sequence[Outgoing]) -> None:
        """Idempotent: an event id is derived from its stream record, so a retry rewrites the same item."""
        if len(outgoing) == 1:
            aws.table(EVENTS).put_item(Item=event_item(outgoing[0]))
            return
        with aws.table(EVENTS).batch_writer(overwrite_by_pkeys=["id"]) as batch:
            for item in outgoing:
                batch.put_item(Item=event_item(item))
