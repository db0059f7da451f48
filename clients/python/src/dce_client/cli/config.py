"""Profiles of the `dce` command line, one per environment, in `config.json` (mode 0600) under
`$DCE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/dce`, else `~/.config/dce`:

    {"default_profile": "local",
     "profiles": {"local": {"base_url": "http://127.0.0.1:8080/api/v1", "email": "...",
                            "access_token": "...", "refresh_token": "..."},
                  "staging": {"base_url": "https://.../staging/api/v1", "ws_url": "wss://...", "api_key": "..."}}}

Tokens are rewritten each time they rotate; a password is never stored.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dce_client._transport import DEFAULT_BASE_URL

FILE_NAME = "config.json"
DEFAULT_PROFILE = "local"


def config_dir() -> Path:
    if os.environ.get("DCE_CONFIG_DIR"):
        return Path(os.environ["DCE_CONFIG_DIR"])
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "dce"


@dataclass
class Profile:
    base_url: str = DEFAULT_BASE_URL
    ws_url: str | None = None
    email: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    api_key: str | None = None

    def forget_credentials(self) -> None:
        self.access_token = self.refresh_token = self.api_key = None


@dataclass
class Config:
    path: Path
    default_profile: str = DEFAULT_PROFILE
    profiles: dict[str, Profile] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path | None = None) -> Config:
        path = (directory or config_dir()) / FILE_NAME
        if not path.exists():
            return cls(path)
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        known = set(Profile.__dataclass_fields__)
        profiles = {
            name: Profile(**{key: value for key, value in values.items() if key in known})
            for name, values in (raw.get("profiles") or {}).items()
        }
        return cls(path, str(raw.get("default_profile") or DEFAULT_PROFILE), profiles)

    def profile(self, name: str | None) -> tuple[str, Profile]:
        chosen = name or os.environ.get("DCE_PROFILE") or self.default_profile
        return chosen, self.profiles.setdefault(chosen, Profile())

    def save(self) -> None:
        """Write atomically, readable by the owner only (it holds tokens)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = {
            "default_profile": self.default_profile,
            "profiles": {
                name: {k: v for k, v in asdict(p).items() if v is not None} for name, p in self.profiles.items()
            },
        }
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, self.path)
