"""The JWT signing key: from `DCE_JWT_SECRET` locally, from Secrets Manager on AWS. Read once."""

from __future__ import annotations

from functools import lru_cache

import boto3

from dce.config import Settings

MIN_SECRET_BYTES = 32


@lru_cache(maxsize=4)
def _from_secrets_manager(arn: str, region: str) -> str:
    client = boto3.client("secretsmanager", region_name=region)
    return str(client.get_secret_value(SecretId=arn)["SecretString"])


def jwt_secret(config: Settings) -> str:
    if config.jwt_secret is not None:
        secret = config.jwt_secret.get_secret_value()
    elif config.jwt_secret_arn:
        secret = _from_secrets_manager(config.jwt_secret_arn, config.region)
    else:
        raise RuntimeError("No JWT secret configured: set DCE_JWT_SECRET or DCE_JWT_SECRET_ARN")
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise RuntimeError(f"The JWT secret must be at least {MIN_SECRET_BYTES} bytes")
    return secret
