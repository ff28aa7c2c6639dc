"""The domain, pure: working-day calendar, council arithmetic, forms, actors, errors, labels, the clock.

May import only the standard library and small pure libraries (``holidays``, ``jsonschema``); never
SQLAlchemy, SpiffWorkflow, Flask, RQ or Redis, and nothing else of ``workflows`` but ``caches``.
"""
