"""The HS256 JWT signing key: generated inside Secrets Manager, so it is never in code or in the template."""

from __future__ import annotations

from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.constructs.keys import data_key
from infra.nag import acknowledge
from infra.settings import Settings

# dce.adapters.secrets rejects keys under 32 bytes; 64 alphanumerics carry ~380 bits of entropy.
JWT_KEY_LENGTH = 64


class JwtSigningKey(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        # No explicit name: a deleted secret lingers for its recovery window and would block a
        # re-created dev stack from reusing the name.
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            description=f"HS256 key signing the access and refresh JWTs of {settings.name_prefix}",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=JWT_KEY_LENGTH,
                exclude_punctuation=True,  # safe in any header, env var or shell when debugging
            ),
            encryption_key=data_key(self),
            removal_policy=settings.removal_policy,
        )
        acknowledge(
            self.secret,
            "SMG4",
            "No automatic rotation: the functions verify with one HS256 key, so rotating it logs everyone "
            "out at once (access and refresh tokens); rotation needs dual-key verification first (a later "
            "change). Encrypted with the environment's data key; read only by the functions that sign or verify.",
        )
