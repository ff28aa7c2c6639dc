"""The JSON API as the browser tests' fast way to set up dossiers (the people then act in Chromium)."""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

from workflows.persistence.required_documents import required_kinds

from ..support import TINY_PDF
from .conftest import LiveServer

PASSWORD = "demo"


def api(server: LiveServer, path: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(f"{server.url}/api/v1{path}", data=json.dumps(body).encode(), headers=headers,
                                     method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def token(server: LiveServer, username: str) -> str:
    return api(server, "/auth/token", {"username": username, "password": PASSWORD})["token"]


def attach_documents(server: LiveServer, nomination_id: int, award_form: str, token: str) -> None:
    """One small PDF per document the award form requires: the clerk's submission checks them."""
    for kind in required_kinds(award_form):
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{kind}.pdf\"\r\n"
                "Content-Type: application/pdf\r\n\r\n").encode() + TINY_PDF + f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(
            f"{server.url}/api/v1/nominations/{nomination_id}/attachments", data=body, method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201, response.status
