"""Flask app factory for vinhdanh: Vietnamese pages and the JSON API over one service layer."""

from __future__ import annotations

from typing import Any

from flask import Flask

from workflows.persistence.db import Database

from . import cli, errors, extensions, filters, inputs, security
from .config import load_config
from .params import DatabaseId


def create_app(overrides: dict[str, Any] | None = None, db: Database | None = None) -> Flask:
    """Build the app; tests may pass config ``overrides`` and an existing :class:`Database`."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(load_config(app.instance_path))
    app.config.update(overrides or {})
    inputs.init_app(app)
    app.json.ensure_ascii = False  # Vietnamese stays readable in API answers
    app.url_map.converters["int"] = DatabaseId  # before any route is added: rules bind their converters then
    app.extensions["vinhdanh.db"] = db or Database(app.config["DATABASE_URL"], app.config["VINHDANH_SETTINGS"])
    extensions.init_app(app)

    from . import (
        admin,
        admin_reference,
        auth,
        bulk,
        claims,
        decisions,
        delegations,
        drafts,
        health,
        inbox,
        nominations,
        notifications,
        registry,
        reports,
        rounds,
    )
    from .api import bp as api_bp

    app.register_blueprint(admin.bp)
    app.register_blueprint(admin_reference.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(reports.bp)
    app.context_processor(notifications.unread_for_header)
    app.register_blueprint(auth.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(claims.bp)
    app.register_blueprint(bulk.bp)
    app.register_blueprint(nominations.bp)
    app.register_blueprint(rounds.bp)
    app.register_blueprint(decisions.bp)
    app.register_blueprint(delegations.bp)
    app.register_blueprint(registry.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(api_bp)
    extensions.csrf.exempt(api_bp)  # the API accepts Bearer tokens only, never the session cookie
    errors.register(app)
    drafts.register(app)  # its handler for 413 (by code) answers before the generic HTTPException one
    security.init_app(app)
    cli.register(app)
    app.jinja_env.filters.update(filters.ALL)
    return app
