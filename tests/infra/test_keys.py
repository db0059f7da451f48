"""Data at rest is encrypted under the environment's own KMS key (infra/constructs/keys.py); functions may use
that key exactly as far as their tables need; prod reserves concurrency for every function."""

from __future__ import annotations

import pytest

from dce.api.routes import AREAS, Area
from infra.constructs.keys import KEY_READ_ACTIONS, KEY_WRITE_ACTIONS
from infra.settings import ENVIRONMENTS
from tests.infra.cfn import Synthesized, as_list, referenced_ids

pytestmark = pytest.mark.infra

AREA_IDS = [area.name for area in AREAS]
KEY_ARN = "Arn"


def _is_data_key(value: object, synthesized: Synthesized) -> bool:
    return value == {"Fn::GetAtt": [synthesized.data_key_id, KEY_ARN]}


def test_one_rotated_key_per_environment_kept_with_the_data(each_env: Synthesized) -> None:
    key = each_env.json["Resources"][each_env.data_key_id]
    assert key["Properties"]["EnableKeyRotation"] is True
    retained = each_env.env in ("staging", "prod")
    assert key["DeletionPolicy"] == ("Retain" if retained else "Delete")


def test_every_table_log_group_secret_and_queue_is_encrypted_with_it(each_env: Synthesized) -> None:
    for logical_id, table in each_env.of_type("AWS::DynamoDB::Table").items():
        assert _is_data_key(table["Properties"]["SSESpecification"].get("KMSMasterKeyId"), each_env), logical_id
    for logical_id, group in each_env.of_type("AWS::Logs::LogGroup").items():
        assert _is_data_key(group["Properties"].get("KmsKeyId"), each_env), logical_id
    for logical_id, secret in each_env.of_type("AWS::SecretsManager::Secret").items():
        assert referenced_ids(secret["Properties"].get("KmsKeyId")) == {each_env.data_key_id}, logical_id
    for logical_id, queue in each_env.of_type("AWS::SQS::Queue").items():
        assert _is_data_key(queue["Properties"].get("KmsMasterKeyId"), each_env), logical_id


def test_cloudwatch_logs_may_use_the_key_only_for_log_groups_of_this_account(dev: Synthesized) -> None:
    policy = dev.props(dev.data_key_id)["KeyPolicy"]["Statement"]
    services = [s for s in policy if "Service" in s.get("Principal", {})]
    assert len(services) == 1
    (logs,) = services
    assert "logs." in str(logs["Principal"]["Service"])
    condition = str(logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
    assert ":log-group:*" in condition and "AWS::AccountId" in condition
    assert not any(s.get("Principal") == "*" or s.get("Principal") == {"AWS": "*"} for s in policy)


def _key_actions(synthesized: Synthesized, area: Area) -> set[str]:
    actions: set[str] = set()
    for statement in synthesized.role_statements(synthesized.function_id(area.name)):
        granted = {a for a in as_list(statement["Action"]) if a.startswith("kms:")}
        if granted and statement["Effect"] == "Allow":
            assert referenced_ids(statement["Resource"]) == {synthesized.data_key_id}, f"{area.name}: {statement}"
            actions |= granted
    return actions


@pytest.mark.parametrize("area", AREAS, ids=AREA_IDS)
def test_functions_use_the_key_only_as_far_as_their_tables_need(dev: Synthesized, area: Area) -> None:
    actions = _key_actions(dev, area)
    writes = any(access == "write" for _, access in area.tables)
    assert set(KEY_READ_ACTIONS) <= actions
    if writes:
        assert set(KEY_WRITE_ACTIONS) <= actions
    elif area.name != "events":  # the events function also sends to the encrypted FailedBatches queue
        assert actions == set(KEY_READ_ACTIONS), f"{area.name} only reads tables: {actions}"
    assert "kms:*" not in actions and not {"kms:CreateGrant", "kms:ScheduleKeyDeletion"} & actions


def test_prod_reserves_concurrency_for_every_function_and_leaves_the_unreserved_minimum(prod: Synthesized) -> None:
    reserved = {
        function["Properties"]["FunctionName"]: function["Properties"].get("ReservedConcurrentExecutions")
        for function in prod.of_type("AWS::Lambda::Function").values()
    }
    assert set(reserved) == {f"dce-prod-{area.name}" for area in AREAS}
    assert all(isinstance(value, int) and value >= 1 for value in reserved.values()), reserved
    # AWS refuses a reservation that leaves fewer than 100 of the account's (default 1,000) unreserved.
    assert sum(reserved.values()) <= 900


@pytest.mark.parametrize("env", ["dev", "staging"])
def test_shared_account_environments_reserve_nothing(env: str) -> None:
    assert ENVIRONMENTS[env].reserved_concurrency is None
