"""QUEUES: the one definition of every SQS work queue (name, kind, retries), like TABLES for tables.

CDK (`infra/constructs/work_queue.py`), the local emulator bootstrap and the tests create queues from it. Physical
names are `<prefix>-<name>` (`.fifo` appended for a FIFO queue); a function that sends to a queue learns its URL
from the environment variable `env_var` (`DCE_<NAME>_QUEUE_URL`, read by `dce.config`), set by CDK and by the
local launcher.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Queue:
    name: str
    # FIFO: each message group (an account) is delivered in order, one batch in flight at a time, so a group's
    # backlog never holds back the other groups' messages.
    fifo: bool = False
    # Seconds a received message stays hidden; AWS advises at least six times the consumer's timeout.
    visibility_timeout_s: int = 60
    # Receives before a message goes to the dead-letter queue.
    max_receive_count: int = 3

    def physical_name(self, prefix: str) -> str:
        return f"{prefix}-{self.name}" + (".fifo" if self.fifo else "")

    def dead_letter_name(self, prefix: str) -> str:
        return f"{prefix}-{self.name}-dlq" + (".fifo" if self.fifo else "")

    @property
    def env_var(self) -> str:
        return f"DCE_{self.name.upper()}_QUEUE_URL"


# The WebSocket deliveries: written by the events function (each account's frames of a stream batch, in its own
# message group), read by the push function, which posts them to @connections.
PUSHES = Queue("pushes", fifo=True, visibility_timeout_s=60, max_receive_count=3)

QUEUES: tuple[Queue, ...] = (PUSHES,)
