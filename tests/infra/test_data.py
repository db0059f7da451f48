"""DynamoDB tables in the template match TABLES; durability follows the environment."""

from __future__ import annotations

import pytest

from dce.adapters.tables import TABLES, Key, Table
from tests.infra.cfn import Synthesized

pytestmark = pytest.mark.infra


def _key_schema(partition: Key, sort: Key | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


def _attribute_types(spec: Table) -> dict[str, str]:
    keys = [spec.partition, *([spec.sort] if spec.sort else [])]
    for index in spec.indexes:
        keys += [index.partition, *([index.sort] if index.sort else [])]
    return {key.name: key.type for key in keys}


def test_one_table_per_tables_entry(dev: Synthesized) -> None:
    names = {props["Properties"]["TableName"] for props in dev.of_type("AWS::DynamoDB::Table").values()}
    assert names == {spec.physical_name("dce-dev") for spec in TABLES}


@pytest.mark.parametrize("spec", TABLES, ids=lambda spec: spec.name)
def test_table_matches_its_definition(dev: Synthesized, spec: Table) -> None:
    props = dev.props(dev.table_id(spec.name))
    assert props["KeySchema"] == _key_schema(spec.partition, spec.sort)
    defined = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert defined == _attribute_types(spec)
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    # KMS with the environment's own data key (tests/infra/test_keys.py)
    assert props["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": {"Fn::GetAtt": [dev.data_key_id, "Arn"]},
    }
    indexes = {ix["IndexName"]: ix for ix in props.get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == {ix.name for ix in spec.indexes}
    for index in spec.indexes:
        assert indexes[index.name]["KeySchema"] == _key_schema(index.partition, index.sort)
        assert indexes[index.name]["Projection"] == {"ProjectionType": index.projection}
    if spec.ttl_attribute:
        assert props["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in props
    if spec.stream:
        assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    else:
        assert "StreamSpecification" not in props


def test_durability_follows_the_environment(each_env: Synthesized) -> None:
    production_like = each_env.env in ("staging", "prod")
    for table in each_env.of_type("AWS::DynamoDB::Table").values():
        props = table["Properties"]
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": production_like}
        assert table["DeletionPolicy"] == ("Retain" if production_like else "Delete")
        assert table["UpdateReplacePolicy"] == ("Retain" if production_like else "Delete")
        assert props["DeletionProtectionEnabled"] is (each_env.env == "prod")


def test_prod_keeps_its_data(prod: Synthesized) -> None:
    for kind in ("AWS::DynamoDB::Table", "AWS::SecretsManager::Secret", "AWS::Logs::LogGroup"):
        for logical_id, resource in prod.of_type(kind).items():
            assert resource["DeletionPolicy"] == "Retain", logical_id
