"""Attachment files: checked by content, stored outside the web root under generated names.

The uploader's name is data only: it never becomes a path or a stored name (which has no
extension), and what it gives back as a download name cannot break a header or pass for another type.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import filetype

from workflows.domain.errors import Invalid
from workflows.domain.forms import NOT_IN_HEADERS

ALLOWED_TYPES = {
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
}
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
}
MAX_NAME_LENGTH = 255


def limits_text(max_bytes: int) -> str:
    """What a person reads before choosing a file: "Tối đa 20 MB; PDF, DOCX, JPEG, PNG"."""
    return f"Tối đa {max_bytes // (1024 * 1024)} MB; {', '.join(ALLOWED_TYPES.values())}"


def accepted_extensions() -> list[str]:
    return [ext for exts in EXTENSIONS.values() for ext in exts]


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    content_type: str
    size: int
    sha256: str


def check(original_name: str, content: bytes, max_bytes: int) -> str:
    """The detected content type, or :class:`Invalid` with a Vietnamese reason."""
    if not original_name or len(original_name) > MAX_NAME_LENGTH or "/" in original_name or "\\" in original_name:
        raise Invalid("Tên tệp không hợp lệ.", {"file": "Tên tệp không hợp lệ."})
    if NOT_IN_HEADERS.search(original_name):
        message = "Tên tệp không được chứa ký tự xuống dòng, ký tự điều khiển hoặc ký tự đổi hướng chữ."
        raise Invalid(message, {"file": message})
    if not content:
        raise Invalid("Tệp rỗng.", {"file": "Tệp rỗng."})
    if len(content) > max_bytes:
        limit = max_bytes // (1024 * 1024)
        raise Invalid(f"Tệp vượt quá {limit} MB.", {"file": f"Dung lượng tối đa {limit} MB."})
    kind = filetype.guess(content)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise Invalid("Chỉ nhận tệp PDF, DOCX, JPEG hoặc PNG.", {"file": "Định dạng tệp không được chấp nhận."})
    return kind.mime


def save(directory: Path, content: bytes, content_type: str) -> StoredFile:
    directory.mkdir(parents=True, exist_ok=True)
    stored_name = uuid.uuid4().hex
    path = directory / stored_name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
    return StoredFile(stored_name, content_type, len(content), hashlib.sha256(content).hexdigest())


def remove(directory: Path, stored_name: str) -> None:
    (directory / stored_name).unlink(missing_ok=True)


def path_of(directory: Path, stored_name: str) -> Path:
    return directory / stored_name


def download_name(original_name: str, content_type: str) -> str:
    """The name to offer on download: header-safe, and ending as the checked content type does.

    Rows stored before names were checked may hold anything; a PDF named ``x.html`` is offered
    as ``x.html.pdf`` so that no browser or desktop opens it as what its name claims.
    """
    name = NOT_IN_HEADERS.sub("_", original_name).replace("/", "_").replace("\\", "_").strip() or "tep"
    extensions = EXTENSIONS.get(content_type, ())
    if extensions and not name.lower().endswith(extensions):
        name += extensions[0]
    return name
