"""The engine reads the product's clock, so tests move time instead of sleeping.

SpiffWorkflow's timers call ``datetime.now(timezone.utc)`` inside the library; a test clock the
engine does not see would never fire an engine timer. Rebinding the name in that one module routes
the engine's notion of now through :mod:`workflows.domain.clock`. Imported by the engine package.
"""

from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module

from workflows.domain import clock


class ClockedDatetime(datetime):
    """``datetime`` whose ``now`` is the product's clock."""

    @classmethod
    def now(cls, tz=None):
        current = clock.now()
        return current.astimezone(tz) if tz is not None else current.astimezone().replace(tzinfo=None)


_timer_module.datetime = ClockedDatetime
