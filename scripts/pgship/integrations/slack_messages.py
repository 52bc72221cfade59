"""Block Kit messages for the deployment timeline (plain dicts; no slack-sdk needed).

Three shapes: the timeline's head message (updated in place as the run goes on), a thread reply
per event, and a standalone message (webhooks, which cannot update, and a first post without a
timeline). Every piece of text that comes from outside (SQL errors, commit messages, names) is
escaped for mrkdwn, so an error that contains `<!channel>` cannot ping anyone.
"""

from __future__ import annotations

from typing import Any

from pgship.notify import Facts

Block = dict[str, Any]

_MAX_STEPS = 20  # more would not be read; the rest is counted
_SECTION_CHARS = 2900  # Slack's limit is 3000
_HEADER_CHARS = 150


def escape(text: str) -> str:
    """Slack mrkdwn control characters: &, <, > (the only three Slack asks to escape)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    """<url|label> with both parts made safe (a `|` or `>` cannot end the link early)."""
    safe_url = escape(url).replace("|", "%7C")
    return f"<{safe_url}|{escape(label).replace('|', '¦')}>"


def code(text: str) -> str:
    """Inline code; a backtick inside would end it early."""
    return f"`{escape(text).replace('`', 'ʼ')}`"


def code_block(text: str) -> str:
    return "```" + escape(text).replace("```", "`\u200b``") + "```"


def fallback_text(facts: Facts) -> str:
    """The notification text (shown where blocks are not: push notifications, screen readers)."""
    parts = [f"{facts.event.title}"]
    if facts.environment:
        parts.append(facts.environment)
    if facts.repository:
        short = f"@{facts.sha[:7]}" if facts.sha else ""
        parts.append(f"{facts.repository}{short}")
    return escape("pgship: " + " · ".join(parts))


def head_blocks(facts: Facts) -> list[Block]:
    """The timeline's first message; its status line follows the latest event."""
    title = f":ship: Database deploy · {facts.environment or 'database'}"
    return [
        _header(title),
        _section(f"*Status:* {_event_line(facts)}"),
        *_context_fields(facts),
        *_footer(facts),
    ]


def reply_blocks(facts: Facts, *, mention: str | None = None) -> list[Block]:
    """One event in the timeline's thread."""
    blocks = [_section(_mention(facts, mention) + _event_line(facts))]
    return blocks + _details(facts)


def standalone_blocks(facts: Facts, *, mention: str | None = None) -> list[Block]:
    """A whole message for one event (webhooks; or no timeline to continue)."""
    title = f"{facts.event.emoji} {facts.event.title} · {facts.environment or 'database'}"
    blocks = [_header(title)]
    if mention and facts.event.failure:
        blocks.append(_section(mention))
    blocks.append(_section(f"*Status:* {_event_line(facts)}"))
    return blocks + _context_fields(facts) + _details(facts) + _footer(facts)


def _mention(facts: Facts, mention: str | None) -> str:
    return f"{mention} " if mention and facts.event.failure else ""


def _event_line(facts: Facts) -> str:
    parts = [f"{facts.event.emoji} *{escape(facts.event.title)}*"]
    if facts.elapsed_ms is not None:
        parts.append(f"{format_ms(facts.elapsed_ms)} since start")
    parts.append(f"{facts.occurred_at:%H:%M:%S} UTC")
    return " · ".join(parts)


def _header(text: str) -> Block:
    if len(text) > _HEADER_CHARS:
        text = text[: _HEADER_CHARS - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _section(text: str) -> Block:
    if len(text) > _SECTION_CHARS:
        text = text[: _SECTION_CHARS - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context_fields(facts: Facts) -> list[Block]:
    fields = []
    if facts.environment:
        fields.append(("Environment", escape(facts.environment)))
    if facts.repository:
        name = facts.repository
        fields.append(
            (
                "Repository",
                link(facts.repository_url, name) if facts.repository_url else escape(name),
            )
        )
    if facts.ref:
        fields.append(("Ref", code(facts.ref)))
    if facts.sha:
        short = facts.sha[:7]
        fields.append(
            ("Commit", link(facts.commit_url, short) if facts.commit_url else code(short))
        )
    if facts.actor:
        fields.append(("Actor", escape(facts.actor)))
    if facts.confirmed_by:
        fields.append(("Confirmed by", escape(facts.confirmed_by)))
    if facts.run_url:
        label = f"run {facts.run_id}" if facts.run_id else "workflow run"
        fields.append(("Run", link(facts.run_url, label)))
    if facts.backup_id:
        fields.append(("Backup", code(facts.backup_id)))
    if not fields:
        return []
    return [
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in fields],
        }
    ]


def _footer(facts: Facts) -> list[Block]:
    if not facts.commit_message:
        return []
    return [
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": escape(facts.commit_message)}],
        }
    ]


def _details(facts: Facts) -> list[Block]:
    blocks = []
    if facts.steps is not None and (facts.steps or facts.event.name != "started"):
        blocks.append(_section(_steps_text(facts)))
    if facts.health:
        lines = [_check_line(check) for check in facts.health[:_MAX_STEPS]]
        blocks.append(_section("*Health checks not ok:*\n" + "\n".join(lines)))
    if facts.error:
        blocks.append(_section("*Error:*\n" + code_block(facts.error[-2500:])))
    if facts.rollback_command:
        blocks.append(_section(f"*To roll back this run:* {code(facts.rollback_command)}"))
    for note in facts.notes:
        blocks.append(_section(_note_text(note)))
    return blocks


def _steps_text(facts: Facts) -> str:
    steps = facts.steps or []
    verb = "rolled back" if facts.steps_action == "rollback" else "applied"
    if not steps:
        return f"*Migrations {verb}:* none"
    total = sum(s.execution_ms or 0 for s in steps)
    lines = [f"*Migrations {verb}* ({len(steps)}, {format_ms(total)} in total):"]
    for step in steps[:_MAX_STEPS]:
        extra = []
        if step.execution_ms is not None:
            extra.append(format_ms(step.execution_ms))
        if step.statements is not None:
            extra.append(f"{step.statements} statement{'s' if step.statements != 1 else ''}")
        lines.append(f"• {code(step.name)}" + (f" · {' · '.join(extra)}" if extra else ""))
    if len(steps) > _MAX_STEPS:
        lines.append(f"…and {len(steps) - _MAX_STEPS} more")
    return "\n".join(lines)


def _check_line(check: dict[str, Any]) -> str:
    emoji = ":x:" if check.get("status") == "fail" else ":warning:"
    value = check.get("value")
    unit = check.get("unit") or ""
    shown = (
        f" {escape(str(value))}{' ' + escape(str(unit)) if unit else ''}"
        if value is not None
        else ""
    )
    detail = escape(str(check.get("detail") or ""))
    return f"{emoji} {code(str(check.get('name', '?')))}{shown} — {detail}"


def _note_text(note: str) -> str:
    """A note from pgship itself: escaped, with `commands` kept as inline code."""
    parts = note.split("`")
    return "".join(escape(p) if i % 2 == 0 else code(p) for i, p in enumerate(parts))


def format_ms(ms: int) -> str:
    """350 ms, 4.2 s, 3m 12s, 1h 4m."""
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m"
