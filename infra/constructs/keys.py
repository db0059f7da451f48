"""The environment's customer-managed KMS key for data at rest: every table (calls, bids, accounts, the
ledger), every log group, the JWT signing key and the failed-batches queue are encrypted under it.

Why a key of our own rather than the AWS-managed ones: its key policy is ours (who may ever decrypt the
ledger is decided in this file, not by whoever can read the table), it can be disabled to freeze all data
at once in an incident, its use is in CloudTrail per caller, and it rotates yearly. One key per
environment: the data of dev can never be decrypted with the key of prod.
"""

from __future__ import annotations

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct, IConstruct

from infra.settings import Settings

KEY_ID = "DataKey"


def data_key(scope: IConstruct) -> kms.Key:
    """The stack's data key (created by `DataKey` before anything that encrypts with it)."""
    found = Stack.of(scope).node.try_find_child(KEY_ID)
    if not isinstance(found, DataKey):
        raise LookupError(f"{Stack.of(scope).node.path} has no {KEY_ID}: create DataKey first")
    return found.key


class DataKey(Construct):
    def __init__(self, scope: Stack, *, settings: Settings) -> None:
        super().__init__(scope, KEY_ID)
        self.key = kms.Key(
            self,
            "Key",
            alias=f"alias/{settings.name_prefix}-data",
            description=f"Data at rest of {settings.name_prefix}: tables, log groups, JWT key, queues",
            enable_key_rotation=True,
            removal_policy=settings.removal_policy,
        )
        # CloudWatch Logs encrypts and decrypts log events itself, with the key of the log group; it may do so
        # only for log groups of this account and region (the encryption context names the log group).
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"
                        )
                    }
                },
            )
        )


# What a function needs of the key to use a table encrypted with it: reads decrypt, writes also encrypt
# (as CDK's grant_read_data / grant_read_write_data add for a customer-managed table key, spelled out).
KEY_READ_ACTIONS = ("kms:Decrypt", "kms:DescribeKey")
KEY_WRITE_ACTIONS = ("kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo")
