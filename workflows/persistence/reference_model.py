"""Reference data admins keep: fields (lĩnh vực), emulation blocks and clusters (khối, cụm thi đua).

A unit belongs to at most one cluster (``units.cluster_id``), a cluster to at most one block; each
year a cluster may name its leader unit (the one that gets the ministry's flag). Rows are never
deleted once created: a field a dossier names is deactivated, so old dossiers keep reading it.
Every row carries ``version`` for optimistic edits.

Kept apart from :mod:`workflows.persistence.model` (which imports this module at its end, so that
``Base.metadata`` always holds these tables).
"""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workflows.persistence.model import Base


class Field(Base):
    __tablename__ = "fields"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)  # the value dossiers store in ``nominations.field``
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class EmulationBlock(Base):
    """Khối thi đua: a group of clusters."""

    __tablename__ = "emulation_blocks"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class EmulationCluster(Base):
    """Cụm thi đua: the units that compete together; its leader of the year gets the flag."""

    __tablename__ = "emulation_clusters"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    block_id: Mapped[int | None] = mapped_column(ForeignKey("emulation_blocks.id"))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ClusterLeader(Base):
    """The cluster's leading unit (cụm trưởng) of one emulation year."""

    __tablename__ = "cluster_leaders"
    cluster_id: Mapped[int] = mapped_column(ForeignKey("emulation_clusters.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
