"""The production gate: `pgship confirm` checks the word a person typed. It never touches a database.

A `workflow_dispatch` run asks the maintainer to type a word (default `CONFIRM`); this runs first
in the job, and a missing or wrong word stops the run before anything reaches production. Who
confirmed is written to a small JSON record and to GitHub outputs, so that `migrate` can store it
(PGSHIP_CONFIRMED_BY, or PGSHIP_CONFIRM_RECORD pointing at the record).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pgship.config import Settings
from pgship.errors import ConfirmationRefused, UsageError
from pgship.runcontext import RunContext

DEFAULT_WORD = "CONFIRM"
_SHOWN_CHARS = 80  # a pasted novel is shown cut


@dataclass(frozen=True)
class Confirmation:
    """Who confirmed which run, for which environment, and when."""

    actor: str
    environment: str | None
    run_url: str | None
    commit_sha: str | None
    confirmed_at: str  # ISO 8601, UTC
    required: bool = True  # False: the environment does not ask for it and no word was given

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def outputs(self) -> dict[str, str]:
        """GitHub outputs of the confirm step."""
        return {
            "confirmed-by": self.actor if self.required else "",
            "confirmed-at": self.confirmed_at,
            "confirm-record": json.dumps(self.to_dict(), separators=(",", ":")),
        }


def expected_word(settings: Settings) -> str:
    """The word for the target environment (pgship.yml `confirm_word`), else CONFIRM."""
    environment = settings.environments.get(settings.environment or "")
    return environment.confirm_word if environment else DEFAULT_WORD


def is_required(settings: Settings) -> bool:
    """An environment in pgship.yml may say `confirm: false`; otherwise confirmation is required."""
    environment = settings.environments.get(settings.environment or "")
    return environment.confirm if environment else True


def confirm(
    settings: Settings,
    value: str | None,
    *,
    env: dict[str, str] | None = None,
    now: datetime | None = None,
) -> Confirmation:
    """Accept exactly the expected word (case-sensitive, not trimmed) or raise ConfirmationRefused.

    With no word given, an environment whose pgship.yml entry says `confirm: false` passes (the
    returned Confirmation has required=False); a word that is given is always checked.
    """
    context = RunContext.from_environment(settings.environment, env)
    expected = expected_word(settings)
    target = f" for {context.environment}" if context.environment else ""
    if value is None and not is_required(settings):
        return _confirmation(context, now, required=False)
    if value is None:
        raise ConfirmationRefused(
            f"Not confirmed{target}: no confirmation word was given (expected {_quote(expected)}).",
            hint="Nothing was run. Pass --value, or set PGSHIP_CONFIRM from the workflow's input "
            f"(env: PGSHIP_CONFIRM: ${{{{ inputs.confirm }}}}), and type {expected} exactly.",
        )
    if value != expected:
        raise ConfirmationRefused(
            f"Not confirmed{target}: received {_quote(value)}, expected {_quote(expected)}"
            f"{_difference(value, expected)}.",
            hint=f"Nothing was run. Start the workflow again and type {expected} exactly: "
            "the check is case-sensitive and spaces count.",
        )
    return _confirmation(context, now, required=True)


def write_record(path: str, confirmation: Confirmation) -> None:
    """The JSON record `migrate` can read through PGSHIP_CONFIRM_RECORD."""
    target = Path(path)
    try:
        if target.parent != Path():
            target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(confirmation.to_dict(), indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"Cannot write the confirmation record {path}: {exc.strerror}.") from None


def _confirmation(context: RunContext, now: datetime | None, *, required: bool) -> Confirmation:
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return Confirmation(
        actor=context.actor or context.applied_by,
        environment=context.environment,
        run_url=context.run_url,
        commit_sha=context.commit_sha,
        confirmed_at=moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
        required=required,
    )


def _quote(text: str) -> str:
    """Double-quoted, with invisible characters made visible (a trailing space, a newline)."""
    shown = text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "…"
    return json.dumps(shown, ensure_ascii=False)


def _difference(value: str, expected: str) -> str:
    """Why a near miss is a miss."""
    if value == "":
        return " (the value is empty)"
    if value.strip() == expected:
        return " (remove the spaces around it)"
    if value.lower() == expected.lower():
        return " (the letter case differs)"
    if value.strip().lower() == expected.lower():
        return " (the letter case differs and there are spaces around it)"
    return ""
