"""Refresh-token families: rotation and reuse detection with conditional writes."""

from __future__ import annotations

from datetime import datetime

from botocore.exceptions import ClientError

from dce.adapters import aws
from dce.adapters.tables import SESSIONS


class DynamoSessionRepo:
    def start(self, family_id: str, account_id: str, token_id: str, expires_at: datetime) -> None:
        aws.table(SESSIONS).put_item(
            Item={
                "family_id": family_id,
                "account_id": account_id,
                "current_jti": token_id,
                "revoked": False,
                "expires_at_epoch": int(expires_at.timestamp()),
            },
            ConditionExpression="attribute_not_exists(family_id)",
        )

    def rotate(self, family_id: str, presented_id: str, new_id: str) -> bool:
        try:
            aws.table(SESSIONS).update_item(
                Key={"family_id": family_id},
                UpdateExpression="SET current_jti = :n",
                ConditionExpression="current_jti = :p AND revoked = :f",
                ExpressionAttributeValues={":n": new_id, ":p": presented_id, ":f": False},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

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
