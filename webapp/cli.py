"""``flask`` commands: migrate, recompute-deadlines, seed-demo, create-unit, create-user, round-verify."""

from __future__ import annotations

import click
from flask import Flask

from workflows.domain.errors import ServiceError
from workflows.domain.labels import ROLES
from workflows.persistence import migrate
from workflows.services import calendar as calendar_service
from workflows.services import demo, people, rounds

from .extensions import get_db


def register(app: Flask) -> None:
    @app.cli.command("migrate")
    def migrate_command() -> None:
        """Upgrade the schema, load reference data and deploy the bundled BPMN routes."""
        version, new = migrate.upgrade(get_db())
        click.echo(f"database at head; route 'nomination' version {version}{' (newly deployed)' if new else ''}")

    @app.cli.command("recompute-deadlines")
    def recompute_deadlines_command() -> None:
        """Move running deadlines to the current calendar (after a release changes holidays or announcements)."""
        moved = calendar_service.recompute(get_db())
        click.echo(f"deadlines moved in {len(moved.nominations)} nominations ({moved.tasks} tasks, {moved.timers} timers)")
        if moved.failed:  # reported, not fatal: one broken instance must not block a release
            click.echo(f"could not recompute nominations {moved.failed}; they keep their dates (see the log)", err=True)

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Demo units, accounts (password 'demo') and nominations; refuses on a real database."""
        try:
            created = demo.seed_demo(get_db())
        except demo.RealUsersPresent as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo("demo data created" if created else "demo data already present")

    @app.cli.command("round-verify")
    @click.argument("round_id", type=int)
    def round_verify(round_id: int) -> None:
        """Recompute a council round's totals from its ballot box and check the published count's proofs."""
        try:
            problems = rounds.verify(get_db(), round_id)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        if problems:
            for problem in problems:
                click.echo(problem, err=True)
            raise click.ClickException(f"round {round_id}: {len(problems)} problem(s); the count is not verified")
        click.echo(f"round {round_id}: box, totals and proofs verified")

    @app.cli.command("create-unit")
    @click.argument("code")
    @click.argument("name")
    @click.option("--ministry-office", is_flag=True, help="The unit is the ministry's own office (Vụ TCCB).")
    def create_unit(code: str, name: str, ministry_office: bool) -> None:
        try:
            people.create_unit(get_db(), None, code, name, ministry_office)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"unit {code} created")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--full-name", required=True)
    @click.option("--unit", "unit_code", required=True, help="Unit code.")
    @click.option("--role", "roles", multiple=True, required=True, type=click.Choice(sorted(ROLES)))
    @click.option("--email", default=None, help="Where notifications are e-mailed when SMTP is configured.")
    @click.password_option()
    def create_user(username: str, full_name: str, unit_code: str, roles: tuple[str, ...], email: str | None,
                    password: str) -> None:
        try:
            people.create_user(get_db(), None, username, full_name, unit_code, list(roles), password, email)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"user {username} created")
