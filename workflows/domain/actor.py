"""Who is acting, with which effective roles and units: the one policy every check asks.

An :class:`Actor` is built once per request or job from the user's own roles and unit (and, when
delegation arrives, the roles and units held on someone's behalf). Scope filters in SQL
(:mod:`workflows.persistence.scope`), the services' role checks, notifications and reports all
ask it, so they cannot disagree about who may see or do what.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

# Ministry-level roles that read every nomination and every unit's reports.
GLOBAL_READERS = frozenset({"secretariat", "reviewer", "minister", "deputy_minister", "council_chair", "admin", "auditor"})
# Roles whose work belongs to one unit: the actor holds them for the units in ``units`` only.
UNIT_ROLES = frozenset({"unit_clerk", "unit_head"})
# Approvers who may name a substitute while absent (council roles never: a ballot is personal and secret).
ABSENCE_ROLES = ("unit_head", "secretariat", "reviewer", "minister", "deputy_minister")


class Assignable(Protocol):
    """What a task row tells about who may take it (``TaskItem`` has these columns)."""

    role: str
    unit_id: int | None
    assignee_id: int | None


@dataclass(frozen=True)
class OnBehalfOf:
    """The user whose authority an actor exercises (a deputy signing for the minister)."""

    id: int
    username: str
    full_name: str


@dataclass(frozen=True)
class Grant:
    """Authority held for someone else while a window is in force (loaded for today, never stored on the actor's row).

    ``delegation``: the minister's unassigned signature tasks (of ``award_forms``; None: every form), signed
    "KT. BỘ TRƯỞNG". ``absence``: an absent approver's tasks of ``role`` (theirs, and the role's in ``unit_id``
    for a unit role). Neither reaches a council round's task (ballots and ties are personal and secret).
    """

    kind: str  # delegation | absence
    principal: OnBehalfOf
    role: str
    unit_id: int | None = None
    award_forms: frozenset[str] | None = None

    def covers(self, item: Assignable) -> bool:
        if item.role != self.role or getattr(item, "round_id", None) is not None:
            return False
        if item.assignee_id is not None:
            return self.kind == "absence" and item.assignee_id == self.principal.id
        if self.role in UNIT_ROLES and item.unit_id != self.unit_id:
            return False
        return self.award_forms is None or getattr(item, "award_form", None) in self.award_forms


@dataclass(frozen=True)
class Actor:
    """A user as the services see them, detached from any database session."""

    id: int
    username: str
    full_name: str
    unit_id: int
    unit_name: str = ""
    roles: frozenset[str] = frozenset()  # effective: own roles plus those held on someone's behalf
    units: frozenset[int] = field(default=frozenset())  # where the unit roles apply; the own unit at least
    on_behalf_of: OnBehalfOf | None = None
    session_token: str = ""
    grants: tuple[Grant, ...] = ()  # delegations and absences in force for this actor today
    must_change_password: bool = False  # signed in with a temporary password: nothing else until it is changed

    def __post_init__(self) -> None:
        if not self.units:
            object.__setattr__(self, "units", frozenset({self.unit_id}))

    def has(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def reads_everything(self) -> bool:
        return bool(self.roles & GLOBAL_READERS)

    def holds_for_unit(self, role: str, unit_id: int | None) -> bool:
        """Holds ``role`` where it matters: a unit role only for its units, any other role anywhere."""
        if role not in self.roles:
            return False
        return role not in UNIT_ROLES or unit_id in self.units

    def can_act(self, item: Assignable) -> bool:
        """May take this task: a task assigned to someone is theirs alone (a ballot is its member's, the chair's
        included); an unassigned one is for whoever holds its role in its unit; either, for whoever a window in
        force lets act for them (:class:`Grant`)."""
        if item.assignee_id is not None and item.assignee_id == self.id:
            return True
        if item.assignee_id is None and self.holds_for_unit(item.role, item.unit_id):
            return True
        return self.grant_for(item) is not None

    def stands_for(self, user_id: int | None, role: str) -> bool:
        """Whether work held by ``user_id`` in ``role`` (a claimed task) is this actor's: their own, or that of the absent
        holder they substitute for (a claim is part of the work an absence hands over, and comes back when it ends)."""
        if user_id is None:
            return False
        if user_id == self.id or (self.on_behalf_of is not None and self.on_behalf_of.id == user_id):
            return True
        return any(g.kind == "absence" and g.role == role and g.principal.id == user_id for g in self.grants)

    def grant_for(self, item: Assignable) -> Grant | None:
        return next((g for g in self.grants if g.covers(item)), None)

    def acting_on(self, item: Assignable) -> Actor:
        """The actor as the history should name them on this task: "thay" whoever's window covers it.

        A window that covers the task wins over the actor's own right: an absent head's tasks read
        "(thay …)" even when the substitute, of the same role and unit, could have taken them anyway.
        """
        grant = self.grant_for(item)
        if grant is None or self.on_behalf_of is not None:
            return self
        return replace(self, roles=self.roles | {grant.role}, on_behalf_of=grant.principal, grants=())

    def can_read_unit(self, unit_id: int) -> bool:
        """Unit-scoped records (quarterly reports): the unit's own people and the ministry's readers."""
        return self.reads_everything or unit_id in self.units

    def can_attach(self, state: str, unit_id: int) -> bool:
        """Files go into a running dossier, by the secretariat or by the proposing unit."""
        if state != "in_progress":
            return False
        return self.has("secretariat") or any(self.holds_for_unit(role, unit_id) for role in UNIT_ROLES)

    def can_propose(self) -> bool:
        return self.has("unit_clerk")

    def can_close_ballot(self) -> bool:
        return self.has("secretariat")

    def can_deliver(self, role: str | None, unit_id: int) -> bool:
        """Records what a waiting dossier waits for (the outside result): the wait's role, never an auditor."""
        return role is not None and not self.has("auditor") and self.holds_for_unit(role, unit_id)

    def can_administer(self) -> bool:
        return self.has("admin")

    def can_submit_report(self, unit_id: int) -> bool:
        return self.holds_for_unit("unit_clerk", unit_id)
