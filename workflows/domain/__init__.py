"""The domain, pure: working-day calendar, council arithmetic, forms, actors, errors, labels, clock, ballot cryptography.

May import only the standard library and small pure libraries (``holidays``, ``jsonschema``, and for
the secret ballot ``phe``/``gmpy2`` and ``nacl``); never
SQLAlchemy, SpiffWorkflow, Flask, RQ or Redis, and nothing else of ``workflows`` but ``caches``.
"""
