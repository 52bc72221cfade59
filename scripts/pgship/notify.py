"""What `pgship notify` tells the team: the facts of one deployment event, gathered from the run.

The GitHub context (repository, ref, commit, actor, run), the migrations applied (from the JSON
that `pgship --format json migrate` wrote, or from the history table), the backup id, durations,
and on failure the error and the exact rollback command. Sending is integrations/slack.py's job.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pgship.errors import ConfigError, PgshipError
from pgship.runcontext import RunContext

if TYPE_CHECKING:  # config imports psycopg; this module is imported by `pgship --help`
    from pgship.config import Settings

Log = Callable[[str], None]


@dataclass(frozen=True)
class EventKind:
    name: str
    title: str
    emoji: str
    failure: bool = False


EVENTS: dict[str, EventKind] = {
    e.name: e
    for e in (
        EventKind("started", "Deploy started", ":rocket:"),
        EventKind("backup-verified", "Backup verified", ":floppy_disk:"),
        EventKind("backup-failed", "Backup failed", ":x:", failure=True),
        EventKind("migrated", "Migrations applied", ":arrow_forward:"),
        EventKind("succeeded", "Migrations succeeded", ":white_check_mark:"),
        EventKind("failed", "Migration failed", ":x:", failure=True),
        EventKind("rolled-back", "Rolled back", ":rewind:"),
        EventKind("health-failed", "Health check failed", ":warning:", failure=True),
        EventKind("deployed", "Deployed", ":tada:"),
    )
}
# Events whose message lists the migrations of the run, and those that say how to undo it.
_WITH_MIGRATIONS = {"migrated", "succeeded", "failed", "rolled-back", "deployed", "health-failed"}
_WITH_ROLLBACK = {"failed", "health-failed"}

_SLACK_KEYS = {"channel", "token_env", "webhook_url_env", "api_url", "events", "mention_on_failure"}
_ERROR_CHARS = 2500  # Slack sections hold 3000 characters


@dataclass(frozen=True)
class SlackConfig:
    """pgship.yml's `slack:` section."""

    channel: str | None = None
    token_env: str = "SLACK_BOT_TOKEN"
    webhook_url_env: str = "SLACK_WEBHOOK_URL"
    api_url: str | None = None
    events: frozenset[str] = frozenset(EVENTS)
    mention_on_failure: str | None = None  # raw mrkdwn, e.g. "<!subteam^S0123>": not escaped


@dataclass(frozen=True)
class Step:
    """One migration applied (or rolled back) by the run."""

    version: int
    name: str
    execution_ms: int | None = None
    statements: int | None = None


@dataclass
class Facts:
    """Everything one message says; text here is raw (the Slack renderer escapes it)."""

    event: EventKind
    occurred_at: datetime
    environment: str | None = None
    repository: str | None = None
    repository_url: str | None = None
    ref: str | None = None
    sha: str | None = None
    commit_url: str | None = None
    commit_message: str | None = None
    actor: str | None = None
    confirmed_by: str | None = None
    run_url: str | None = None
    run_id: str | None = None
    steps: list[Step] | None = None  # None: not known (no JSON file, no database)
    steps_action: str = "apply"
    backup_id: str | None = None
    elapsed_ms: int | None = None
    error: str | None = None
    rollback_command: str | None = None
    health: list[dict[str, Any]] = field(default_factory=list)  # the checks that are not ok
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NotifyInputs:
    """What the workflow hands to `pgship notify` besides the event name."""

    migrations_json: str | None = None
    health_json: str | None = None
    backup_id: str | None = None
    error: str | None = None
    error_file: str | None = None
    rollback_to: str | None = None
    started_at: str | None = None
    ts: str | None = None


def slack_config(settings: Settings) -> SlackConfig:
    """Validate pgship.yml's `slack:` section."""
    data = settings.raw_config.get("slack")
    if data is None:
        return SlackConfig()
    where = f"{settings.config_file or 'pgship.yml'}: slack"
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a mapping, e.g. `channel: C0123456789`.")
    unknown = sorted(set(data) - _SLACK_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting(s) {', '.join(unknown)}.",
            hint=f"Known: {', '.join(sorted(_SLACK_KEYS))}.",
        )
    for key in _SLACK_KEYS - {"events"}:
        if key in data and not isinstance(data[key], str):
            raise ConfigError(f"{where}.{key} must be a string, got {data[key]!r}.")
    events = data.get("events", sorted(EVENTS))
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise ConfigError(f"{where}.events must be a list of event names.")
    bad = sorted(set(events) - set(EVENTS))
    if bad:
        raise ConfigError(
            f"{where}.events: unknown event(s) {', '.join(bad)}.",
            hint=f"Events: {', '.join(EVENTS)}.",
        )
    return SlackConfig(
        channel=data.get("channel") or None,
        token_env=data.get("token_env", "SLACK_BOT_TOKEN"),
        webhook_url_env=data.get("webhook_url_env", "SLACK_WEBHOOK_URL"),
        api_url=data.get("api_url") or None,
        events=frozenset(events),
        mention_on_failure=data.get("mention_on_failure") or None,
    )


def gather(
    event: str,
    settings: Settings,
    inputs: NotifyInputs,
    *,
    log: Log,
    env: dict[str, str] | None = None,
    now: datetime | None = None,
) -> Facts:
    """The facts of `event`; what cannot be read is left out with a warning, never an error."""
    environ = os.environ if env is None else env
    context = RunContext.from_environment(settings.environment, dict(environ))
    moment = now or datetime.now(UTC)
    facts = Facts(event=EVENTS[event], occurred_at=moment)
    _github_facts(facts, context, environ)
    facts.backup_id = inputs.backup_id or context.backup_id
    facts.elapsed_ms = _elapsed_ms(inputs, moment, log)

    if event in ("backup-failed", "failed", "health-failed"):
        facts.error = _error_text(inputs, log)
    if event == "health-failed" and inputs.health_json:
        facts.health = _failing_checks(inputs.health_json, log)

    if event in _WITH_MIGRATIONS:
        facts.steps_action = "rollback" if event == "rolled-back" else "apply"
        history = _RunHistory.read(settings, context.run_url, log)
        if inputs.migrations_json:
            facts.steps = _steps_from_json(inputs.migrations_json, log)
        if facts.steps is None and history is not None:
            facts.steps = history.steps(facts.steps_action)
        if facts.error is None and event == "failed" and history is not None:
            facts.error = history.failure
        if event in _WITH_ROLLBACK:
            _rollback_advice(facts, settings, inputs, history)
    return facts


def started_at_value(moment: float) -> str:
    """The `started-at` output: seconds since the epoch."""
    return f"{moment:.3f}"


def _github_facts(facts: Facts, context: RunContext, environ: Any) -> None:
    server = environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    repository = environ.get("GITHUB_REPOSITORY") or None
    facts.environment = context.environment
    facts.repository = repository
    facts.repository_url = f"{server}/{repository}" if repository else None
    facts.ref = environ.get("GITHUB_REF_NAME") or environ.get("GITHUB_REF") or None
    facts.sha = context.commit_sha
    if repository and context.commit_sha:
        facts.commit_url = f"{server}/{repository}/commit/{context.commit_sha}"
    facts.actor = context.actor or context.applied_by
    facts.confirmed_by = context.confirmed_by
    facts.run_url = context.run_url
    facts.run_id = environ.get("GITHUB_RUN_ID") or None
    facts.commit_message = _commit_message(environ.get("GITHUB_EVENT_PATH"))


def _commit_message(event_path: str | None) -> str | None:
    """The first line of the pushed commit's message, from the workflow's event payload."""
    if not event_path:
        return None
    try:
        payload = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    head = payload.get("head_commit") if isinstance(payload, dict) else None
    message = head.get("message") if isinstance(head, dict) else None
    if not isinstance(message, str) or not message.strip():
        return None
    return message.strip().splitlines()[0][:300]


def _elapsed_ms(inputs: NotifyInputs, moment: datetime, log: Log) -> int | None:
    """Time since the run started: --started-at, else the timeline's ts (epoch seconds too)."""
    for source, text in (("--started-at", inputs.started_at), ("--ts", inputs.ts)):
        if not text:
            continue
        started = _parse_moment(text)
        if started is None:
            log(f"warning: {source} {text!r} is not a time; the duration is left out.")
            continue
        return max(0, round((moment.timestamp() - started) * 1000))
    return None


def _parse_moment(text: str) -> float | None:
    """Epoch seconds ("1712345678.000100", a Slack ts) or ISO 8601."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def _error_text(inputs: NotifyInputs, log: Log) -> str | None:
    if inputs.error:
        return inputs.error.strip()[-_ERROR_CHARS:]
    if inputs.error_file:
        try:
            text = Path(inputs.error_file).read_text(encoding="utf-8", errors="replace").strip()
        except OSError as exc:
            log(f"warning: cannot read --error-file {inputs.error_file}: {exc.strerror}.")
            return None
        return text[-_ERROR_CHARS:] or None
    return None


def _read_json(path: str, option: str, log: Log) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        log(f"warning: cannot read {option} {path}: {exc.strerror}.")
        return None
    if not text.strip():
        log(f"warning: {option} {path} is empty (did the command that writes it fail?).")
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        log(f"warning: {option} {path} is not JSON: {exc}.")
        return None


def _steps_from_json(path: str, log: Log) -> list[Step] | None:
    """The steps of `pgship --format json migrate` (or rollback) output."""
    data = _read_json(path, "--migrations-json", log)
    if data is None:
        return None
    steps = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(steps, list):
        log(f"warning: --migrations-json {path} has no `steps` list; was it written by migrate?")
        return None
    result = []
    for item in steps:
        if isinstance(item, dict) and isinstance(item.get("version"), int):
            result.append(
                Step(
                    version=item["version"],
                    name=str(item.get("name", item["version"])),
                    execution_ms=_int_or_none(item.get("execution_ms")),
                    statements=_int_or_none(item.get("statements")),
                )
            )
    return result


def _failing_checks(path: str, log: Log) -> list[dict[str, Any]]:
    data = _read_json(path, "--health-json", log)
    checks = data.get("checks") if isinstance(data, dict) else None
    if not isinstance(checks, list):
        return []
    return [c for c in checks if isinstance(c, dict) and c.get("status") in ("fail", "warn")]


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class _RunHistory:
    """This run's events in pgship.events (matched by the GitHub run URL)."""

    events: list[dict[str, Any]]
    before: str | None  # version text of the newest migration applied before this run
    failed_row_status: dict[int, str]

    @classmethod
    def read(cls, settings: Settings, run_url: str | None, log: Log) -> _RunHistory | None:
        if settings.database_url is None:
            return None
        if run_url is None:
            log("notice: not in a GitHub Actions run; the migrations of the run are not listed.")
            return None
        try:
            return cls._query(settings, run_url)
        except PgshipError as exc:
            log(f"warning: cannot read the history table: {exc.message}")
        except Exception as exc:  # psycopg errors: a notification never fails over them
            text = settings.database_url.redact(str(exc).strip())
            log(f"warning: cannot read the history table: {text}")
        return None

    @classmethod
    def _query(cls, settings: Settings, run_url: str) -> _RunHistory:
        from psycopg.rows import dict_row

        from pgship.db import connect
        from pgship.migrations.history import history_exists

        assert settings.database_url is not None
        with connect(
            settings.database_url, application_name="pgship notify", connect_timeout=5
        ) as conn:
            if not history_exists(conn):
                return cls([], None, {})
            with conn.cursor(row_factory=dict_row) as cur:
                cur.execute(
                    "SELECT version, name, action, execution_ms, statement_count, error, sqlstate,"
                    " failed_file, failed_line, detail FROM pgship.events WHERE run_url = %s"
                    " ORDER BY id",
                    (run_url,),
                )
                events = cur.fetchall()
            applied = [e["version"] for e in events if e["action"] == "apply"]
            before = None
            if applied:
                row = conn.execute(
                    "SELECT name FROM pgship.migrations WHERE status = 'applied' AND version < %s"
                    " ORDER BY version DESC LIMIT 1",
                    (min(applied),),
                ).fetchone()
                before = _version_text(row[0]) if row else None
            rows = conn.execute(
                "SELECT version, status FROM pgship.migrations WHERE version = ANY(%s)",
                ([e["version"] for e in events if e["action"] == "fail"],),
            ).fetchall()
        return cls(events, before, {version: status for version, status in rows})

    def steps(self, action: str) -> list[Step]:
        return [
            Step(e["version"], e["name"], e["execution_ms"], e["statement_count"])
            for e in self.events
            if e["action"] == action
        ]

    @property
    def last_failure(self) -> dict[str, Any] | None:
        failures = [e for e in self.events if e["action"] == "fail"]
        return failures[-1] if failures else None

    @property
    def failure(self) -> str | None:
        """The last failure of the run as the user saw it."""
        event = self.last_failure
        if event is None:
            return None
        where = f" at {event['failed_file']}:{event['failed_line']}" if event["failed_file"] else ""
        code = f" (SQLSTATE {event['sqlstate']})" if event["sqlstate"] else ""
        return f"{event['name']} failed{where}:\nERROR: {event['error']}{code}"

    def partial(self) -> tuple[int, str] | None:
        """(version, name) of a no-transaction migration that failed part-way, if any."""
        event = self.last_failure
        if event is None or self.failed_row_status.get(event["version"]) != "failed":
            return None
        return event["version"], event["name"]


def _rollback_advice(
    facts: Facts, settings: Settings, inputs: NotifyInputs, history: _RunHistory | None
) -> None:
    """The exact command that takes the database back to where this run started."""
    prefix = f"pgship --environment {settings.environment} " if settings.environment else "pgship "
    partial = history.partial() if history is not None else None
    if partial:
        text = _version_text(partial[1])
        facts.notes.append(
            f"{partial[1]} ran part-way outside a transaction: check the database, then record "
            f"it with `{prefix}resolve {text} --applied` (finished by hand) or "
            f"`{prefix}resolve {text} --rolled-back` (undone by hand) before any rollback."
        )
    if inputs.rollback_to:
        facts.rollback_command = f"{prefix}rollback --to {inputs.rollback_to}"
        return
    applied = facts.steps if facts.steps_action == "apply" else None
    if not applied:
        if applied is not None and not partial:
            facts.notes.append("This run left no migration applied: there is nothing to roll back.")
        return
    first = min(step.version for step in applied)
    before = history.before if history is not None else None
    before = before or _file_version_before(settings, first)
    if before is not None:
        facts.rollback_command = f"{prefix}rollback --to {before}"
    else:
        facts.rollback_command = f"{prefix}rollback --steps {len(applied)}"


def _file_version_before(settings: Settings, version: int) -> str | None:
    """The version text of the newest migration file below `version`, from the folder's names."""
    best: tuple[int, str] | None = None
    try:
        names = [p.name for p in settings.migrations_dir.glob("*.sql")]
    except OSError:
        return None
    for name in names:
        match = re.match(r"(\d+)_", name)
        if (
            match
            and int(match.group(1)) < version
            and (best is None or int(match.group(1)) > best[0])
        ):
            best = (int(match.group(1)), match.group(1))
    return best[1] if best else None


def _version_text(stem: str) -> str:
    return stem.split("_", 1)[0]
