"""Gunicorn's settings file: gunicorn reads ``./gunicorn.conf.py`` from the directory it starts in (the Procfile's
and ``make run``'s). The command lines keep what varies (workers, threads, port); this keeps what does not."""

import gc


def post_worker_init(worker) -> None:
    """Freeze what loading the app made (about 160,000 long-lived objects: modules, mappers, templates, the parsed
    route). A full collection walks every tracked object, which cost one request in a few hundred about 100 ms;
    frozen, they are never walked again, and the requests' own garbage is collected as before."""
    gc.freeze()
