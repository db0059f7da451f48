"""API key records (secrets stored only as hashes)."""

from __future__ import annotations

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from dce.adapters import aws
from dce.adapters.items import api_key_from, api_key_item
from dce.adapters.tables import API_KEYS
from dce.domain.accounts import ApiKey


class DynamoApiKeyRepo:
    def put(self, key: ApiKey) -> None:
        aws.table(API_KEYS).put_item(Item=api_key_item(key), ConditionExpression="attribute_not_exists(id)")

    def get(self, key_id: str) -> ApiKey | None:
        item = aws.table(API_KEYS).get_item(Key={"id": key_id}).get("Item")
        return api_key_from(item) if item else None

    def list_for(self, account_id: str) -> list[ApiKey]:
        result = aws.table(API_KEYS).query(
            IndexName="by_account", KeyConditionExpression=Key("account_id").eq(account_id), ScanIndexForward=False
        )
        return [api_key_from(i) for i in result.get("Items", [])]

    def revoke(self, key_id: str, account_id: str) -> bool:
        """Mark the key revoked if it belongs to `account_id`; False when there is no such key."""
        try:
            aws.table(API_KEYS).update_item(
                Key={"id": key_id},
                UpdateExpression="SET revoked = :t",
                ConditionExpression="account_id = :a",
                ExpressionAttributeValues={":t": True, ":a": account_id},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
