"""Configuration from environment variables, with embedded-mode defaults under ``instance/``."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from workflows import config


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one generated into ``instance/`` on first run."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        # Write aside, then link into place: concurrent first starts agree on one complete key.
        tmp = instance / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def load_config(instance_path: str) -> dict[str, Any]:
    instance = Path(instance_path)
    settings = config.settings(instance)
    return {
        "SECRET_KEY": _secret_key(instance),
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'vinhdanh.db'}",
        "REDIS_URL": config.redis_url(),
        "VINHDANH_SETTINGS": settings,
        # The whole request may hold the file plus form fields.
        "MAX_CONTENT_LENGTH": settings.max_upload_bytes + 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "WTF_CSRF_TIME_LIMIT": None,
    }
