"""Durations as users write them ("5s", "500ms", "10min", "1h", "0"/"off") and as PostgreSQL takes them."""

from __future__ import annotations

import re

_UNITS_MS = {
    "ms": 1,
    "s": 1000,
    "sec": 1000,
    "m": 60_000,
    "min": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$")


def parse_duration_ms(text: str | int | float) -> int:
    """Milliseconds in `text`; 0 means "no limit". Raises ValueError naming the accepted forms."""
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a duration")
    if isinstance(text, int | float):
        return int(text * 1000)
    value = text.strip().lower()
    if value in ("off", "none", "0"):
        return 0
    match = _PATTERN.match(value)
    if not match or match.group(2) not in _UNITS_MS:
        raise ValueError(
            f"{text!r} is not a duration: write a number and a unit, e.g. 500ms, 5s, 10min, 1h "
            "(or 0 / off for no limit)"
        )
    return round(float(match.group(1)) * _UNITS_MS[match.group(2)])


def format_duration_ms(ms: int) -> str:
    """A short human form: 0 -> 'off', 5000 -> '5s', 1500 -> '1.5s', 600000 -> '10min'."""
    if ms == 0:
        return "off"
    for unit, size in (("h", 3_600_000), ("min", 60_000), ("s", 1000)):
        if ms >= size and ms % (size // 10 or 1) == 0:
            value = ms / size
            return f"{value:g}{unit}"
    return f"{ms}ms"
