"""Sending the deployment timeline to Slack with slack-sdk (import this module only in `notify`).

With a bot token, a run has one timeline: its first message (chat.postMessage, whose `ts` the
workflow keeps) is updated in place by later events (chat.update) and each event adds a thread
reply. An incoming webhook cannot update anything, so each event is its own message. Both
clients retry on 429 (after Retry-After) and on 5xx with backoff, through slack-sdk's retry
handlers. Failures are collected, never raised: the caller decides (a warning, or --strict).
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import (
    BackoffRetryIntervalCalculator,
    ConnectionErrorRetryHandler,
    HttpRequest,
    HttpResponse,
    Jitter,
    RateLimitErrorRetryHandler,
    RetryHandler,
    RetryState,
)
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.web import WebClient
from slack_sdk.webhook import WebhookClient

from pgship.conninfo import redact
from pgship.integrations import slack_messages as messages
from pgship.notify import Facts

DEFAULT_API_URL = "https://slack.com/api/"
MAX_RETRY_AFTER_S = 60  # a longer Retry-After is not waited for: the deploy must go on

_quiet = logging.getLogger("pgship.slack")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False  # slack-sdk logs failed requests at ERROR level; pgship reports them


@dataclass(frozen=True)
class SlackTarget:
    """Where and how to post. Secrets live here only; they never reach a message or the log."""

    token: str | None = None
    webhook_url: str | None = None
    channel: str | None = None
    api_url: str | None = None
    retries: int = 3
    backoff_s: float = 0.5
    timeout_s: int = 10
    mention_on_failure: str | None = None

    @property
    def mode(self) -> str:
        return "bot" if self.token else "webhook"

    def redact(self, text: str) -> str:
        return redact(text, [self.token, self.webhook_url])


@dataclass
class Delivery:
    """What was sent, and what failed (already redacted)."""

    mode: str
    ts: str | None = None
    channel: str | None = None
    sent: list[str] = field(default_factory=list)  # "chat.postMessage", "chat.update", ...
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "ts": self.ts,
            "channel": self.channel,
            "sent": self.sent,
            "errors": self.errors,
        }


def payloads(target: SlackTarget, facts: Facts, ts: str | None) -> list[dict[str, Any]]:
    """The requests `deliver` would make, in order (for --dry-run and tests)."""
    text = messages.fallback_text(facts)
    mention = target.mention_on_failure
    if target.mode == "webhook":
        return [
            {
                "method": "webhook",
                "text": text,
                "blocks": messages.standalone_blocks(facts, mention=mention),
            }
        ]
    if facts.event.name == "started" or not ts:
        blocks = (
            messages.head_blocks(facts)
            if facts.event.name == "started"
            else messages.standalone_blocks(facts, mention=mention)
        )
        return [
            {
                "method": "chat.postMessage",
                "channel": target.channel,
                "text": text,
                "blocks": blocks,
            }
        ]
    return [
        {
            "method": "chat.update",
            "channel": target.channel,
            "ts": ts,
            "text": text,
            "blocks": messages.head_blocks(facts),
        },
        {
            "method": "chat.postMessage",
            "channel": target.channel,
            "thread_ts": ts,
            "reply_broadcast": facts.event.failure,
            "text": text,
            "blocks": messages.reply_blocks(facts, mention=mention),
        },
    ]


def deliver(target: SlackTarget, facts: Facts, *, ts: str | None = None) -> Delivery:
    """Send the event; each request is tried on its own, and every failure is recorded."""
    delivery = Delivery(mode=target.mode, ts=ts, channel=target.channel)
    requests = payloads(target, facts, ts)
    if target.mode == "webhook":
        _send_webhook(target, requests[0], delivery)
        return delivery
    client = WebClient(
        token=target.token,
        base_url=_api_url(target.api_url),
        timeout=target.timeout_s,
        retry_handlers=retry_handlers(target.retries, target.backoff_s),
        logger=_quiet,
    )
    for request in requests:
        method = request.pop("method")
        try:
            if method == "chat.update":
                response = client.chat_update(**request)
            else:
                response = client.chat_postMessage(**request)
        except SlackApiError as exc:
            delivery.errors.append(target.redact(_api_error(method, exc, target.channel)))
            continue
        except Exception as exc:  # connection refused, timeout, DNS: never fatal here
            delivery.errors.append(target.redact(f"{method} failed: {_describe(exc)}"))
            continue
        delivery.sent.append(method)
        if method == "chat.postMessage" and "thread_ts" not in request:
            delivery.ts = str(response.get("ts") or "") or None
            delivery.channel = str(response.get("channel") or "") or target.channel
    return delivery


def _send_webhook(target: SlackTarget, request: dict[str, Any], delivery: Delivery) -> None:
    assert target.webhook_url is not None
    client = WebhookClient(
        target.webhook_url,
        timeout=target.timeout_s,
        retry_handlers=retry_handlers(target.retries, target.backoff_s),
        logger=_quiet,
    )
    try:
        response = client.send(text=request["text"], blocks=request["blocks"])
    except Exception as exc:
        delivery.errors.append(target.redact(f"the webhook failed: {_describe(exc)}"))
        return
    if response.status_code != 200:
        body = (response.body or "").strip()[:200]
        delivery.errors.append(
            target.redact(f"the webhook answered HTTP {response.status_code}: {body}")
        )
        return
    delivery.sent.append("webhook")


def _api_url(url: str | None) -> str:
    return (url or DEFAULT_API_URL).rstrip("/") + "/"


def _api_error(method: str, exc: SlackApiError, channel: str | None) -> str:
    response = exc.response
    status = getattr(response, "status_code", None)
    error = response.get("error") if hasattr(response, "get") else None
    if status == 429:
        return f"{method} failed: Slack kept rate limiting (HTTP 429) after the retries."
    message = f"{method} failed: {error or 'HTTP ' + str(status)}"
    if (
        error == "channel_not_found"
        and method == "chat.update"
        and channel
        and not channel[:1].isupper()
    ):
        message += (
            " (chat.update needs the channel ID, e.g. C0123456789: pass the `slack-channel`"
            " output of the first notify step as --channel / SLACK_CHANNEL)"
        )
    elif error in ("not_in_channel", "channel_not_found"):
        message += " (invite the bot to the channel, and check SLACK_CHANNEL)"
    elif error in ("invalid_auth", "not_authed", "token_revoked"):
        message += " (check the SLACK_BOT_TOKEN secret)"
    return message


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _Jitter(Jitter):
    """Up to a quarter of the interval on top (slack-sdk's default adds up to a whole second)."""

    def recalculate(self, duration: float) -> float:
        return duration * (1 + random.random() / 4)


class _ServerErrorRetryHandler(ServerErrorRetryHandler):
    """Every 5xx, not only 500 and 503."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and 500 <= response.status_code <= 599


class _RateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Waits exactly as long as Retry-After asks (a little more), when that is not too long."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = _retry_after(response)
        return wait is None or wait <= MAX_RETRY_AFTER_S

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = _retry_after(response) if response is not None else None
        if wait is None:
            wait = self.interval_calculator.calculate_sleep_duration(state.current_attempt)
        time.sleep(wait + random.random() / 10)
        state.next_attempt_requested = True
        state.increment_current_attempt()


def _retry_after(response: HttpResponse) -> float | None:
    for name, values in response.headers.items():
        if name.lower() == "retry-after":
            value = values[0] if isinstance(values, list) else values
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


def retry_handlers(retries: int, backoff_s: float) -> list[RetryHandler]:
    """Retry connection errors, 429 (Retry-After) and 5xx, `retries` times in all."""
    interval = BackoffRetryIntervalCalculator(backoff_factor=backoff_s, jitter=_Jitter())
    return [
        ConnectionErrorRetryHandler(max_retry_count=retries, interval_calculator=interval),
        _RateLimitRetryHandler(max_retry_count=retries, interval_calculator=interval),
        _ServerErrorRetryHandler(max_retry_count=retries, interval_calculator=interval),
    ]
