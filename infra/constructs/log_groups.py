"""Log groups: every one is ours (not created implicitly by a service), so its retention and removal
follow the environment's settings, and it is encrypted with the environment's data key (logs name
accounts, calls and amounts)."""

from __future__ import annotations

from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.keys import data_key
from infra.settings import Settings


def log_group(scope: Construct, construct_id: str, name: str, settings: Settings) -> logs.LogGroup:
    """A log group named `name`, kept for `settings.log_retention`, removed per `settings.removal_policy`,
    encrypted with the stack's data key."""
    return logs.LogGroup(
        scope,
        construct_id,
        log_group_name=name,
        encryption_key=data_key(scope),
        retention=settings.log_retention,
        removal_policy=settings.removal_policy,
    )
