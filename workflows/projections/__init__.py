"""Read models written from the engine's state in the same transaction: the inbox rows
(``task_items``) and the timer table.

May import ``workflows.domain``, ``workflows.engine`` and ``workflows.persistence``.
"""
