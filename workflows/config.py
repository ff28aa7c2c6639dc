"""Settings from environment variables, shared by the web app and the workers."""

from __future__ import annotations

import os
from pathlib import Path

from workflows.persistence.db import Settings

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'vinhdanh.db'}"


def redis_url() -> str | None:
    return os.environ.get("REDIS_URL") or None


def settings(instance: Path = INSTANCE) -> Settings:
    env = os.environ.get
    return Settings(
        org_code=env("ORG_CODE", "BKHCN"),
        org_name=env("ORG_NAME", "BỘ KHOA HỌC VÀ CÔNG NGHỆ"),
        org_title=env("ORG_TITLE", "Bộ Khoa học và Công nghệ"),
        council_name=env("COUNCIL_NAME", "Hội đồng Thi đua - Khen thưởng Bộ Khoa học và Công nghệ"),
        city=env("ORG_CITY", "Hà Nội"),
        ballot_key_bits=int(env("BALLOT_KEY_BITS", "2048")),
        upload_dir=Path(env("UPLOAD_DIR", str(instance / "uploads"))),
        max_upload_bytes=int(env("MAX_UPLOAD_MB", "20")) * 1024 * 1024,
        token_lifetime_hours=int(env("API_TOKEN_HOURS", "8")),
        smtp_host=env("SMTP_HOST") or None,
        smtp_port=int(env("SMTP_PORT", "587")),
        smtp_user=env("SMTP_USER") or None,
        smtp_password=env("SMTP_PASSWORD") or None,
        smtp_starttls=env("SMTP_STARTTLS", "1") == "1",
        mail_from=env("MAIL_FROM", "vinhdanh@localhost"),
        public_url=env("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
    )
