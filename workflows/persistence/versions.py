"""Deploying routes: a new process-model version only when the BPMN changed."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows import caches, engine
from workflows.domain import clock
from workflows.persistence.model import ProcessModel

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
NOMINATION_ROUTE = BPMN_DIR / "nomination.bpmn"


def deploy(session: Session, xml: str, key: str = engine.PROCESS_ID) -> tuple[ProcessModel, bool]:
    """Store ``xml`` as the next version of ``key`` unless that exact document is deployed.

    Returns the process model and whether it is new. Raises ``RouteError``
    before storing anything if the document does not parse.
    """
    sha = hashlib.sha256(xml.encode("utf-8")).hexdigest()
    existing = session.scalar(select(ProcessModel).where(ProcessModel.key == key, ProcessModel.sha256 == sha))
    if existing is not None:
        return existing, False
    engine.get_route(xml, sha)  # validates; and warms the cache
    version = (session.scalar(select(func.max(ProcessModel.version)).where(ProcessModel.key == key)) or 0) + 1
    pm = ProcessModel(key=key, version=version, sha256=sha, bpmn_xml=xml, deployed_at=clock.now())
    session.add(pm)
    session.flush()
    return pm, True


def deploy_bundled_routes(session: Session) -> tuple[ProcessModel, bool]:
    return deploy(session, NOMINATION_ROUTE.read_text(encoding="utf-8"))


# Process-model rows never change once deployed, so id → hash is safe to remember.
_sha_of_model: dict[tuple[str, int], str] = {}
caches.register(_sha_of_model.clear)


def route_for(session: Session, process_model_id: int) -> engine.Route:
    """The parsed route a nomination is pinned to (parsed once per version per process)."""
    key = (str(session.get_bind().url), process_model_id)
    sha = _sha_of_model.get(key)
    if sha is not None and engine.is_route_cached(sha):
        return engine.get_route("", sha)
    sha, xml = session.execute(
        select(ProcessModel.sha256, ProcessModel.bpmn_xml).where(ProcessModel.id == process_model_id)
    ).one()
    _sha_of_model[key] = sha
    return engine.get_route(xml, sha)


def latest(session: Session, key: str = engine.PROCESS_ID) -> ProcessModel | None:
    return session.scalar(
        select(ProcessModel).where(ProcessModel.key == key).order_by(ProcessModel.version.desc()).limit(1)
    )
