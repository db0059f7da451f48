"""DynamoDB tables, one per entry of `dce.adapters.tables.TABLES` (keys, GSIs, TTL and streams from there)."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from dce.adapters.tables import TABLES, Key, Table
from infra import checkov
from infra.constructs.keys import data_key
from infra.nag import acknowledge
from infra.settings import Settings

_ATTRIBUTE_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER}
_PROJECTIONS = {"ALL": dynamodb.ProjectionType.ALL, "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY}


def _attribute(key: Key) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])


def pascal_case(name: str) -> str:
    """`api_keys` → `ApiKeys`: readable logical IDs and output names."""
    return "".join(part.capitalize() for part in name.split("_"))


class DataTables(Construct):
    """Every table of TABLES, named `<table_prefix>-<name>`; look them up by their TABLES entry."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        self._tables = {spec.name: self._create(spec, settings) for spec in TABLES}

    def table(self, spec: Table) -> dynamodb.Table:
        return self._tables[spec.name]

    @property
    def all(self) -> dict[str, dynamodb.Table]:
        return dict(self._tables)

    def _create(self, spec: Table, settings: Settings) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            pascal_case(spec.name),
            table_name=spec.physical_name(settings.table_prefix),
            partition_key=_attribute(spec.partition),
            sort_key=_attribute(spec.sort) if spec.sort else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            # Calls, bids, balances and the ledger rest under the environment's own key (infra/constructs/keys.py).
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=data_key(self),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=settings.point_in_time_recovery
            ),
            time_to_live_attribute=spec.ttl_attribute,
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES if spec.stream else None,
            deletion_protection=settings.deletion_protection,
            removal_policy=settings.removal_policy,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.partition),
                sort_key=_attribute(index.sort) if index.sort else None,
                projection_type=_PROJECTIONS[index.projection],
            )
        if not settings.point_in_time_recovery:
            no_recovery = (
                f"No point-in-time recovery in {settings.env}: its data is disposable (RemovalPolicy.DESTROY, "
                "fake sign-up credit); staging and prod have it on (infra/settings.py)."
            )
            acknowledge(table, "DDB3", no_recovery)
            checkov.acknowledge(table, "CKV_AWS_28", no_recovery)
        return table
