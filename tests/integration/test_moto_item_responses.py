"""`serialise_item_responses_directly` (local/moto_patches.py) answers DynamoDB's item operations with
`json.dumps` instead of moto's shape-driven serializer: both must write the same answer, for every attribute
type and every item operation, and errors must still be moto's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.responses import DynamoResult

from local.moto_patches import ITEM_RESPONSES

TABLE = "dce-test-serializer-equivalence"
EVERY_TYPE: dict[str, Any] = {
    "pk": "item-1",
    "sk": Decimal("7"),
    "s": 'text with ünïcode and "quotes"',
    "n": Decimal("-12.5000"),
    "big": Decimal("123456789012345678901234567890"),
    "b": b"\x00\xffbinary",
    "ss": {"a", "b"},
    "ns": {Decimal("1"), Decimal("2.5")},
    "bs": {b"\x01", b"\x02\x03"},
    "l": ["x", Decimal("1"), b"\x04", None, True, {"nested": ["deep"]}],
    "m": {"inner": {"flag": False, "blob": b"\x05"}},
    "bool": True,
    "null": None,
    "gsi_key": "g",
}


@pytest.fixture
def compared(aws: None) -> Iterator[list[tuple[str, Any, Any]]]:
    """Every DynamoResult answered both ways: (operation, moto's serializer's answer, the direct answer)."""
    fast = DynamoResult.execute_result
    original = fast.__dce_original__  # type: ignore[attr-defined]
    seen: list[tuple[str, Any, Any]] = []

    def both(self: Any, context: Any) -> Any:
        direct = fast(self, context)
        seen.append((context.operation_model.name, original(self, context), direct))
        return direct

    DynamoResult.execute_result = both  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        DynamoResult.execute_result = fast  # type: ignore[method-assign]


def _table() -> Any:
    client = boto3.client("dynamodb")
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "gsi_key", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_gsi",
                "KeySchema": [{"AttributeName": "gsi_key", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return boto3.resource("dynamodb").Table(TABLE)


def test_every_item_operation_answers_as_motos_serializer_does(compared: list[tuple[str, Any, Any]]) -> None:
    table = _table()
    key = {"pk": "item-1", "sk": Decimal("7")}
    capacity = {"ReturnConsumedCapacity": "TOTAL"}
    table.put_item(Item=EVERY_TYPE, **capacity)
    table.put_item(Item={**EVERY_TYPE, "s": "second"}, ReturnValues="ALL_OLD")
    assert table.get_item(Key=key, ConsistentRead=True)["Item"] == {**EVERY_TYPE, "s": "second"}
    table.get_item(Key={"pk": "absent", "sk": Decimal("0")})
    table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "item-1"}, **capacity)
    table.query(IndexName="by_gsi", KeyConditionExpression="gsi_key = :g", ExpressionAttributeValues={":g": "g"})
    table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "item-1"}, Select="COUNT")
    table.scan(Limit=1)
    table.scan(ProjectionExpression="#m.inner.blob, l[2]", ExpressionAttributeNames={"#m": "m"})
    table.update_item(
        Key=key,
        UpdateExpression="SET n = n + :one, added = :blob",
        ExpressionAttributeValues={":one": Decimal("1"), ":blob": b"\x06"},
        ReturnValues="ALL_NEW",
    )
    table.update_item(Key=key, UpdateExpression="REMOVE added", ReturnValues="UPDATED_OLD")
    boto3.resource("dynamodb").batch_get_item(RequestItems={TABLE: {"Keys": [key, {"pk": "x", "sk": Decimal("1")}]}})
    with table.batch_writer() as batch:
        batch.put_item(Item={**EVERY_TYPE, "sk": Decimal("8")})
    client = boto3.client("dynamodb")
    client.transact_get_items(
        TransactItems=[{"Get": {"TableName": TABLE, "Key": {"pk": {"S": "item-1"}, "sk": {"N": "7"}}}}]
    )
    client.transact_write_items(
        TransactItems=[{"Put": {"TableName": TABLE, "Item": {"pk": {"S": "t"}, "sk": {"N": "1"}, "b": {"B": b"\x07"}}}}]
    )
    table.delete_item(Key=key, ReturnValues="ALL_OLD")

    answered = {operation for operation, _, _ in compared}
    assert answered >= ITEM_RESPONSES, f"not exercised: {sorted(ITEM_RESPONSES - answered)}"
    for operation, (status, _, body), (direct_status, headers, direct_body) in compared:
        if operation not in ITEM_RESPONSES:
            continue
        assert direct_status == status, operation
        assert json.loads(direct_body) == json.loads(body), operation
        assert headers["Content-Type"] == "application/x-amz-json-1.0"


def test_errors_and_other_operations_still_go_through_motos_serializer(aws: None) -> None:
    table = _table()
    with pytest.raises(ClientError) as refused:
        table.put_item(Item=EVERY_TYPE | {"pk": "c"}, ConditionExpression="attribute_exists(pk)")
    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    with pytest.raises(ClientError) as missing:
        boto3.client("dynamodb").get_item(TableName="no-such-table", Key={"pk": {"S": "x"}})
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    described = boto3.client("dynamodb").describe_table(TableName=TABLE)["Table"]
    assert described["CreationDateTime"].year >= 2024  # a timestamp, written by moto's serializer
