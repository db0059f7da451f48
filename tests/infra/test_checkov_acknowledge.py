"""infra/checkov.py: acknowledgments of checkov findings sit in the resource's metadata, each with a reason."""

from __future__ import annotations

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_sqs as sqs

from infra import checkov

pytestmark = pytest.mark.infra

REASON = "a reason long enough to say why this finding does not apply here"


def test_acknowledgments_accumulate_in_the_resource_metadata() -> None:
    queue = sqs.Queue(Stack(App(), "Skips"), "Queue")
    checkov.acknowledge(queue, "CKV_AWS_27", REASON)
    checkov.acknowledge(queue, "CKV_AWS_999", REASON + " (another)")
    checkov.acknowledge(queue, "CKV_AWS_27", REASON + " (restated)")
    resource = queue.node.default_child
    assert isinstance(resource, sqs.CfnQueue)
    assert resource.get_metadata("checkov") == {
        "skip": [
            {"id": "CKV_AWS_999", "comment": REASON + " (another)"},
            {"id": "CKV_AWS_27", "comment": REASON + " (restated)"},
        ]
    }


@pytest.mark.parametrize(
    ("check_id", "reason", "message"), [("CKV_AWS_27", "no", "say why"), ("AwsSolutions-SQS3", REASON, "not a checkov")]
)
def test_an_acknowledgment_needs_a_checkov_id_and_a_real_reason(check_id: str, reason: str, message: str) -> None:
    queue = sqs.Queue(Stack(App(), "Lazy"), "Queue")
    with pytest.raises(ValueError, match=message):
        checkov.acknowledge(queue, check_id, reason)
