"""The database: SQLAlchemy 2 models, engines and transactions, migrations, reference data, scope
filters, audit chains, counters, attachment files and the deployed version bundles.

May import ``workflows.domain`` and ``workflows.engine`` (a stored version is restored as a parsed
route); never Flask, RQ, Redis, or the services above it.
"""
