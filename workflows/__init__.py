"""Engine and domain of vinhdanh, in layers; each subpackage's docstring says what it may import.

- ``domain``: pure rules (calendar, council arithmetic, forms, actors), no I/O.
- ``engine``: SpiffWorkflow behind a small interface (parse, cache, run, serialize, the route contract).
- ``persistence``: the database (models, transactions, migrations, version bundles, scope filters).
- ``projections``: inbox rows and timer rows kept in step with the engine's state.
- ``queries``: the read side the pages and the API render.
- ``services``: the one way in for every state change, each a short command on one unit of work.

Nothing in this package imports Flask, RQ or Redis; the web app and the workers call
:mod:`workflows.services` and :mod:`workflows.queries`.
"""
