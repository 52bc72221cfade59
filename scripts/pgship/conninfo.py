"""Database URLs: validation, a display form without the password, and redaction of secrets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from pgship.errors import UsageError

MASK = "***"


@dataclass(frozen=True)
class DatabaseUrl:
    """A validated connection string; `str()` never shows the password."""

    raw: str
    params: dict[str, str]

    @property
    def password(self) -> str | None:
        return self.params.get("password") or _password_in_url(self.raw)

    @property
    def dbname(self) -> str:
        return self.params.get("dbname") or self.params.get("user") or "postgres"

    def display(self) -> str:
        """`user@host:port/dbname`, the form pgship prints."""
        user = self.params.get("user", "")
        host = self.params.get("host", "localhost")
        port = self.params.get("port", "5432")
        return f"{user + '@' if user else ''}{host}:{port}/{self.dbname}"

    def with_dbname(self, dbname: str) -> DatabaseUrl:
        """The same server and credentials, another database."""
        return DatabaseUrl(self.raw, {**self.params, "dbname": dbname})

    def conninfo(self) -> str:
        """The connection string to hand to libpq (may hold the password: never print it)."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo("", **self.params)

    def redact(self, text: str) -> str:
        """`text` with this URL's password (and the raw URL) replaced by ***."""
        return redact(text, [*_passwords_in(self.raw), self.password])

    def __str__(self) -> str:
        return self.display()

    def __repr__(self) -> str:
        return f"DatabaseUrl({self.display()!r})"


def parse_database_url(raw: str, *, source: str = "--database-url") -> DatabaseUrl:
    """Validate a postgresql:// URL or a key=value connection string."""
    text = raw.strip()
    if not text:
        raise UsageError(
            f"{source} is empty.", hint="Give a URL like postgresql://user@host:5432/db."
        )
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(text)
    except Exception as exc:  # psycopg raises ProgrammingError for malformed strings
        message = redact(str(exc).strip(), _passwords_in(text))
        raise UsageError(
            f"{source} is not a valid PostgreSQL connection string: {message}",
            hint="Write it as postgresql://user:password@host:5432/dbname "
            "(percent-encode special characters in the password).",
        ) from None
    port = str(params.get("port") or "5432")
    if not all(part.isdigit() for part in port.split(",")):
        secret = any(port in p for p in _passwords_in(text) if p)
        shown = "a port" if secret else f"port {port!r}"
        raise UsageError(
            f"{source} has {shown} that is not a number.",
            hint="Write it as postgresql://user:password@host:5432/dbname; percent-encode "
            "special characters in the password (/ as %2F, @ as %40, : as %3A).",
        )
    return DatabaseUrl(text, {k: str(v) for k, v in params.items() if v is not None})


def redact(text: str, secrets: list[str | None]) -> str:
    """Replace each non-empty secret in `text` by ***, longest first."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def _passwords_in(text: str) -> list[str | None]:
    """Every form of a password that `text` may hold, to redact before printing."""
    found = [_password_in_url(text)]
    found += re.findall(r"password\s*=\s*'((?:[^'\\]|\\.)*)'", text)
    found += re.findall(r"password\s*=\s*([^\s']+)", text)
    found += [unquote(p) for p in found if p]
    return found


def _password_in_url(text: str) -> str | None:
    """The password part of a URL even when the rest of it cannot be parsed."""
    if "://" not in text:
        return None
    rest = text.split("://", 1)[1].split("?", 1)[0]
    if "@" not in rest:
        return None
    userinfo = rest.rsplit("@", 1)[0]  # a password may hold an unencoded "/" or "@"
    return userinfo.split(":", 1)[1] if ":" in userinfo else None
