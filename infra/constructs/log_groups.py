"""Log groups: every one is ours (not created implicitly by a service), so its retention and removal
follow the environment's settings."""

from __future__ import annotations

from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.settings import Settings


def log_group(scope: Construct, construct_id: str, name: str, settings: Settings) -> logs.LogGroup:
    """A log group named `name`, kept for `settings.log_retention`, removed per `settings.removal_policy`."""
    return logs.LogGroup(
        scope,
        construct_id,
        log_group_name=name,
        retention=settings.log_retention,
        removal_policy=settings.removal_policy,
    )
