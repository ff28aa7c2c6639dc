"""Fixtures of the web tests: the real app (CSRF off unless said), with a check that nothing answered 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from workflows.persistence.db import Database

from .helpers import make_app


@pytest.fixture
def web(db: Database, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app on ``db`` with CSRF off; fails the test if any request was answered with a 5xx.

    (Tests that document a 500 as a known bug carry an ``xfail`` marker and are exempt.)
    """
    app = make_app(db)
    yield app
    if request.node.get_closest_marker("xfail") is None:
        assert not app.config["SERVED_5XX"], f"server errors: {app.config['SERVED_5XX']}"
