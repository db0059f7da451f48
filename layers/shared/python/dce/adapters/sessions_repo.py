"""Refresh-token families: rotation and reuse detection with conditional writes. Each family keeps when it
started, so a suspension revokes every family of the account without finding them (the account's
`sessions_valid_after` is compared with it on refresh)."""

from __future__ import annotations

from datetime import UTC, datetime

from botocore.exceptions import ClientError

from dce.adapters import aws
from dce.adapters.items import parse_ts, ts
from dce.adapters.tables import SESSIONS

# Families stored before they kept their start: as old as can be (revoked by any suspension).
_LONG_AGO = datetime.min.replace(tzinfo=UTC)


class DynamoSessionRepo:
    def start(self, family_id: str, account_id: str, token_id: str, expires_at: datetime, started_at: datetime) -> None:
        aws.table(SESSIONS).put_item(
            Item={
                "family_id": family_id,
                "account_id": account_id,
                "current_jti": token_id,
                "revoked": False,
                "started_at": ts(started_at),
                "expires_at_epoch": int(expires_at.timestamp()),
            },
            ConditionExpression="attribute_not_exists(family_id)",
        )

    def rotate(self, family_id: str, presented_id: str, new_id: str) -> datetime | None:
        try:
            result = aws.table(SESSIONS).update_item(
                Key={"family_id": family_id},
                UpdateExpression="SET current_jti = :n",
                ConditionExpression="current_jti = :p AND revoked = :f",
                ExpressionAttributeValues={":n": new_id, ":p": presented_id, ":f": False},
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        started = result["Attributes"].get("started_at")
        return parse_ts(started) if started else _LONG_AGO

    def revoke(self, family_id: str) -> None:
        try:
            aws.table(SESSIONS).update_item(
                Key={"family_id": family_id},
                UpdateExpression="SET revoked = :t",
                ConditionExpression="attribute_exists(family_id)",
                ExpressionAttributeValues={":t": True},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
