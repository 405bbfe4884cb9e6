"""`flask --app wsgi gridcase …` commands. Each command is one transaction: it commits when it
succeeds and changes nothing when it fails, and it exits non-zero with a message on failure."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from gridcase.audit.log import AuditAction, record
from gridcase.errors import GridcaseError, ImportRejected
from gridcase.extensions import db
from gridcase.geo import Crs
from gridcase.territory.levels import RegionLevel

gridcase_cli = AppGroup("gridcase", help="gridcase administration commands.")
Report = TypeVar("Report")


def _fail(message: str, details: list[str] | None = None) -> None:
    db.session.rollback()
    click.secho(message, fg="red", err=True)
    for line in details or []:
        click.echo(f"  - {line}", err=True)
    sys.exit(1)


def _import(file: str, load: Callable[[], Report], action: AuditAction, details: Callable[[Report], dict]):
    """Load a reference-data file in one transaction, audited with `details` of what it did;
    a rejected file changes nothing and exits non-zero with every problem."""
    try:
        report = load()
    except ImportRejected as exc:
        _fail(exc.message, exc.problems)
    record(action, target=file[-200:], details=details(report))
    db.session.commit()
    return report


@gridcase_cli.command("import-geodata")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--level",
    required=True,
    type=click.Choice([level.value for level in RegionLevel]),
    help="The territory level of every feature in the file.",
)
@click.option("--parent", "parent_code", help="Code of the parent all features must belong to.")
@click.option(
    "--crs",
    default=Crs.WGS84.value,
    show_default=True,
    type=click.Choice([c.value for c in Crs]),
    help="Coordinate system of the file.",
)
def import_geodata_command(file: str, level: str, parent_code: str | None, crs: str) -> None:
    """Import a GeoJSON FeatureCollection of territory nodes (all or nothing)."""
    from gridcase.territory.importer import import_geodata, load_feature_collection

    report = _import(
        file,
        lambda: import_geodata(load_feature_collection(file), level, parent_code, crs),
        AuditAction.GEODATA_IMPORTED,
        lambda report: {
            "level": level,
            "created": len(report.created),
            "updated": len(report.updated),
            "crs": crs,
        },
    )
    click.echo(report.summary())


@gridcase_cli.command("import-units")
@click.argument("file", type=click.Path(dir_okay=False))
def import_units_command(file: str) -> None:
    """Import units (站所, 职能部门, 专业调委会) from a JSON file (all or nothing)."""
    from gridcase.units.importer import import_units, load_units_file

    report = _import(
        file,
        lambda: import_units(load_units_file(file)),
        AuditAction.UNITS_IMPORTED,
        lambda report: {"created": len(report.created), "updated": len(report.updated)},
    )
    click.echo(report.summary())


@gridcase_cli.command("import-calendar")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_calendar_command(file: str) -> None:
    """Replace one year's holidays and 调休 working days from a JSON file (see geodata/calendar)."""
    from gridcase.ladder.clock import import_calendar_file

    count = _import(
        file, lambda: import_calendar_file(file), AuditAction.CALENDAR_CHANGED, lambda n: {"days": n}
    )
    click.echo(f"Calendar imported: {count} exception day(s).")


@gridcase_cli.command("load-catalogue")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def load_catalogue_command(file: str) -> None:
    """Insert or update case categories from a JSON file (see geodata/categories.json)."""
    from gridcase.cases.catalogue import category_groups, load_catalogue_file

    before = category_groups()
    count = _import(
        file, lambda: load_catalogue_file(file), AuditAction.CATALOGUE_CHANGED, lambda n: {"categories": n}
    )
    click.echo(f"Catalogue loaded: {count} categories.")
    moved = sorted(
        code for code, group in category_groups().items() if code in before and before[code] != group
    )
    if moved:
        # The statistics' rows by group were summed under the old groups (gridcase.stats.rollups).
        click.echo(
            f"Moved to another group: {', '.join(moved)}. The statistics by group count their cases "
            "under the old group until `flask gridcase refresh-stats --full`."
        )


@gridcase_cli.command("create-user")
@click.option("--username", required=True)
@click.option(
    "--role",
    required=True,
    help="grid_worker, community_mediator, township_coordinator, district_coordinator, "
    "city_commander, admin, auditor, unit_handler or unit_head.",
)
@click.option("--scope", "scope_code", help="Code of the territory node the user covers.")
@click.option("--unit", "unit_code", help="The unit of a unit_handler or unit_head (instead of --scope).")
@click.option("--name", "display_name", help="The name shown to others.")
@click.option("--grid", "grid_codes", multiple=True, help="Extra grids of a grid worker (repeatable).")
@click.password_option(help="At least 10 characters; asked for when not given.")
def create_user_command(username, role, scope_code, unit_code, display_name, grid_codes, password) -> None:
    """Create a user with one role and one territory scope (or, for a unit's people, a unit)."""
    from gridcase.people.auth import create_user

    try:
        user = create_user(
            username, password, role, scope_code, display_name, list(grid_codes), unit_code=unit_code
        )
    except GridcaseError as exc:
        _fail(exc.message, [f"{field}: {' '.join(msgs)}" for field, msgs in exc.errors.items()])
    db.session.commit()
    click.echo(f"Created {user.username} ({user.role} of {user.unit_code or user.scope_code}).")


@gridcase_cli.command("add-channel")
@click.option("--kind", required=True, type=click.Choice(["email", "sms", "wecom", "dingtalk"]))
@click.option("--address", required=True, help="E-mail address, mobile number, or the robot's webhook URL.")
@click.option("--user", "username", help="The person whose notifications go out (e-mail, SMS).")
@click.option("--region", "region_code", help="The node whose centre's group robot it is (wecom, dingtalk).")
@click.option("--quiet", help="Quiet hours, local time, e.g. 22:00-07:00: nothing is sent then.")
@click.option("--secret", help="A 钉钉 robot's signing secret (SEC…), when its security setting is 加签.")
def add_channel_command(kind, address, username, region_code, quiet, secret) -> None:
    """Send notifications out of the app too: a person's e-mail or SMS, or a centre's 企业微信 /
    钉钉 group robot, which gets what that node's handlers are told. Audited (the address is
    stored encrypted and shown masked)."""
    from datetime import time

    from gridcase.notifications.outbound import add_channel
    from gridcase.people.models import User

    user = None
    if username:
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            _fail(f"No user {username}.")
    hours = None
    if quiet:
        try:
            start, end = (time.fromisoformat(part.strip()) for part in quiet.split("-"))
        except ValueError:
            _fail("Quiet hours are written like 22:00-07:00.")
        hours = (start, end)
    try:
        channel = add_channel(kind, address, user=user, region_code=region_code, quiet=hours, secret=secret)
    except GridcaseError as exc:
        _fail(
            str(exc.message), [f"{field}: {' '.join(map(str, msgs))}" for field, msgs in exc.errors.items()]
        )
    record(
        AuditAction.CHANNEL_ADDED,
        actor=None,
        target=f"channel {channel.id}",
        details={"kind": kind, "owner": username or region_code, "address": channel.address_masked},
    )
    db.session.commit()
    click.echo(f"Channel {channel.id}: {kind} {channel.address_masked} for {username or region_code}.")


@gridcase_cli.command("set-role")
@click.argument("username")
@click.option("--role", required=True, help="The new role (see create-user).")
@click.option("--scope", "scope_code", help="Code of the territory node the role covers.")
@click.option("--unit", "unit_code", help="The unit of a unit_handler or unit_head (instead of --scope).")
def set_role_command(username: str, role: str, scope_code: str | None, unit_code: str | None) -> None:
    """Change a user's role and scope, administrators' too (the admin pages do not change an
    administrator's role); every session and token of the user ends. Audited."""
    from gridcase.people.admin import set_role

    try:
        user = set_role(username, role, scope_code, unit_code)
    except GridcaseError as exc:
        _fail(exc.message, [f"{field}: {' '.join(msgs)}" for field, msgs in exc.errors.items()])
    db.session.commit()
    click.echo(
        f"{user.username} is now {user.role} of {user.unit_code or user.scope_code}; "
        "their sessions and tokens ended."
    )


@gridcase_cli.command("load-demo")
@click.option("--cases/--no-cases", default=True, show_default=True, help="Add half a year of example cases.")
def load_demo_command(cases: bool) -> None:
    """Load the reference data and the demo city (诸暨市) with its demo logins. Safe to re-run."""
    from gridcase.demo import load_demo
    from gridcase.demo.cases import load_demo_cases

    try:
        lines = load_demo()
    except ImportRejected as exc:
        _fail(exc.message, exc.problems)
    db.session.commit()
    if cases:
        lines.append(load_demo_cases())
        db.session.commit()
    for line in lines:
        click.echo(line)


@gridcase_cli.command("verify-chain")
@click.argument("case_ref", required=False)
def verify_chain_command(case_ref: str | None) -> None:
    """Verify one case's event chain (by id or public number); without one, every case's, the
    audit log's chain and the signed checkpoints (gridcase.cases.integrity)."""
    import sqlalchemy as sa

    from gridcase.audit.chain import verify_audit_chain
    from gridcase.cases.events import verify_chain
    from gridcase.cases.integrity import verify_checkpoints
    from gridcase.cases.models import Case

    case_id = None
    if case_ref:
        from gridcase.cases.queries import case_reference

        case_id = db.session.scalar(sa.select(Case.id).where(case_reference(case_ref)))
        if case_id is None:
            _fail(f"No case {case_ref}.")
    checked, broken = verify_chain(case_id)
    problems = [str(link) for link in broken]
    lines = [
        f"Checked {checked} case(s): {len(broken)} broken chain(s)."
        if broken
        else f"Checked {checked} case(s): every event chain is intact."
    ]
    if case_id is None:
        entries, audit_breaks = verify_audit_chain(db.session.connection())
        problems += [str(link) for link in audit_breaks]
        lines.append(
            f"Checked {entries} audit entries: {len(audit_breaks)} broken link(s)."
            if audit_breaks
            else f"Checked {entries} audit entries: the audit chain is intact."
        )
    # A chain cannot show its own cut tail: the checkpoints can, for one case too.
    checkpoints = verify_checkpoints(case_id)
    problems += checkpoints.problems
    lines.append(
        f"Checked {checkpoints.files} checkpoint(s) with {checkpoints.heads} case head(s): "
        + (f"{len(checkpoints.problems)} problem(s)." if checkpoints.problems else "nothing is missing.")
    )
    if problems:
        _fail("\n".join(lines), problems)
    for line in lines:
        click.echo(line)


@gridcase_cli.command("checkpoint")
def checkpoint_command() -> None:
    """Write a signed checkpoint of the event log and the audit log now (the scheduler writes
    one every GRIDCASE_CHECKPOINT_MINUTES)."""
    from gridcase.cases.integrity import CheckpointRefused, take_checkpoint

    try:
        report = take_checkpoint()
    except CheckpointRefused as refused:
        _fail(f"No checkpoint written: the newest one on file does not verify ({refused}).")
    db.session.commit()
    if not report.ran:
        _fail("Another process is writing a checkpoint; try again in a moment.")
    click.echo(report.line())


@gridcase_cli.command("sweep")
@click.option(
    "--at", "at", help="Sweep as if at this ISO 8601 time (default: now); local time when no offset."
)
def sweep_command(at: str | None) -> None:
    """Run one escalation sweep and print what it did."""
    from gridcase.ladder.sweep import sweep

    moment = None
    if at:
        moment = _parse_moment(at)
    report = sweep(moment)
    db.session.commit()
    for line in report.lines():
        click.echo(line)


def _parse_moment(text: str):
    from datetime import datetime

    from gridcase.settings import local_tz

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        _fail(f"--at {text!r} is not an ISO 8601 time such as 2026-10-09T10:00 or 2026-10-09T02:00Z.")
    return moment if moment.tzinfo else moment.replace(tzinfo=local_tz())


@gridcase_cli.command("scheduler")
@click.option("--interval", type=float, help="Seconds between sweeps (default GRIDCASE_SWEEP_SECONDS, 60).")
def scheduler_command(interval: float | None) -> None:
    """Run the long-lived scheduler process (the sweep every minute). Stop it with SIGTERM."""
    from flask import current_app

    from gridcase.jobs import run_scheduler

    run_scheduler(current_app._get_current_object(), interval)


@gridcase_cli.command("create-open311-client")
@click.argument("name")
@click.option("--jurisdiction", help="Its jurisdiction_id (default: the only one configured).")
def create_open311_client_command(name: str, jurisdiction: str | None) -> None:
    """Let another system post Open311 requests; prints its API key once (only a hash is kept)."""
    from gridcase.channels.clients import create_client

    try:
        client, api_key = create_client(name, jurisdiction)
    except GridcaseError as exc:
        _fail(exc.message, [f"{field}: {' '.join(msgs)}" for field, msgs in exc.errors.items()])
    db.session.commit()
    click.echo(
        f"Open311 client {client.name!r} created for {client.jurisdiction_id}; "
        f"its requests are reported as {client.user.username}."
    )
    click.echo("API key (shown this once; only its hash is stored):")
    click.echo(api_key)


@gridcase_cli.command("list-open311-clients")
def list_open311_clients_command() -> None:
    """List the Open311 clients: name, jurisdiction, active, last used."""
    from gridcase.channels.clients import list_clients

    for client in list_clients():
        state = "active" if client.active else "disabled"
        used = client.last_used_at.isoformat(timespec="seconds") if client.last_used_at else "never used"
        click.echo(f"{client.name}\t{client.jurisdiction_id}\t{state}\t{used}")


@gridcase_cli.command("set-open311-client")
@click.argument("name")
@click.option("--active/--disabled", required=True, help="Allow or refuse the client's api_key.")
def set_open311_client_command(name: str, active: bool) -> None:
    """Enable or disable an Open311 client's API key."""
    from gridcase.channels.clients import set_client_active

    try:
        client = set_client_active(name, active)
    except GridcaseError as exc:
        _fail(exc.message)
    db.session.commit()
    click.echo(f"Open311 client {client.name!r} is now {'active' if active else 'disabled'}.")


@gridcase_cli.command("refresh-stats")
@click.option("--full", is_flag=True, help="Rebuild every rollup row from all cases (minutes at millions).")
def refresh_stats_command(full: bool) -> None:
    """Bring the indicator rollups up to date (the scheduler does it every minute)."""
    from gridcase.stats.rollups import refresh_rollups

    report = refresh_rollups(full=full)
    db.session.commit()
    click.echo(report.line())


@gridcase_cli.command("scan-alerts")
@click.option(
    "--at", "at", help="Scan as if at this ISO 8601 time (default: now); local time when no offset."
)
def scan_alerts_command(at: str | None) -> None:
    """Raise and extend hotspot and repeat-party alerts (the scheduler does it every minute)."""
    from gridcase.stats.alerts import scan_alerts

    report = scan_alerts(_parse_moment(at) if at else None)
    db.session.commit()
    click.echo(report.line())


@gridcase_cli.command("rotate-keys")
def rotate_keys_command() -> None:
    """Re-encrypt personal data under the first key of GRIDCASE_DATA_KEYS (in batches)."""
    from cryptography.exceptions import InvalidTag

    from gridcase.people.retention import rotate_keys

    try:
        done = rotate_keys(commit=db.session.commit)
    except (ValueError, InvalidTag) as exc:
        _fail(
            f"A stored value cannot be decrypted with the configured keys ({exc or 'wrong key'}). "
            "Put the old key back in GRIDCASE_DATA_KEYS and run again; the batches already "
            "re-encrypted are kept."
        )
    db.session.commit()
    for table, rows in done.items():
        click.echo(f"{table}: {rows} row(s) re-encrypted.")


@gridcase_cli.command("anonymise")
def anonymise_command() -> None:
    """Anonymise parties of cases closed longer than GRIDCASE_PARTY_RETENTION_DAYS."""
    from gridcase.people.retention import anonymise_closed_parties

    count = anonymise_closed_parties(commit=db.session.commit)
    db.session.commit()
    click.echo(f"{count} part(ies) anonymised.")


@gridcase_cli.command("prune-audit")
def prune_audit_command() -> None:
    """Delete audit entries older than GRIDCASE_AUDIT_RETENTION_DAYS (never under 180 days)."""
    from gridcase.audit.log import prune

    removed = prune()
    db.session.commit()
    click.echo(f"{removed} audit entr(ies) older than the retention period removed.")


@gridcase_cli.command("demo-otp")
@click.argument("username")
def demo_otp_command(username: str) -> None:
    """Print the current two-factor code of a demo login (demo-city, demo-admin). Development only."""
    from flask import current_app

    from gridcase.demo import DEMO_TOTP_SECRETS

    if current_app.config.get("ENV_NAME") == "production" or username not in DEMO_TOTP_SECRETS:
        _fail(f"No demo two-factor secret for {username!r} here.")
    import pyotp

    click.echo(pyotp.TOTP(DEMO_TOTP_SECRETS[username]).now())


def register_cli(app: Flask) -> None:
    app.cli.add_command(gridcase_cli)
