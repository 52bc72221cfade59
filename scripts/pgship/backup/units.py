"""Sizes and durations as pgship prints them."""

from __future__ import annotations


def human_size(size: float) -> str:
    """e.g. 512 B, 4.9 kB, 1.2 GB (powers of 1024)."""
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def seconds(ms: int) -> str:
    """e.g. 0.04s, 3.21s, 12.3s, 754s."""
    value = ms / 1000
    if value < 10:
        return f"{value:.2f}s"
    if value < 100:
        return f"{value:.1f}s"
    return f"{value:.0f}s"
