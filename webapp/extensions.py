"""Flask extensions and the accessor for the database handle."""

from __future__ import annotations

from flask import Flask, current_app
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from workflows.persistence.db import Database

login_manager = LoginManager()
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    login_manager.login_message_category = "warning"
    csrf.init_app(app)


def get_db() -> Database:
    return current_app.extensions["vinhdanh.db"]
