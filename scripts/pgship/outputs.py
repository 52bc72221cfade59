"""GitHub Actions step outputs: `name=value` lines appended to the file named by $GITHUB_OUTPUT."""

from __future__ import annotations

import os
import secrets


def set_outputs(values: dict[str, str], *, env: dict[str, str] | None = None) -> bool:
    """Append each output (multi-line values in a heredoc block); False outside GitHub Actions."""
    environ = os.environ if env is None else env
    path = environ.get("GITHUB_OUTPUT")
    if not path:
        return False
    lines = []
    for name, value in values.items():
        if "\n" in value or "\r" in value:
            delimiter = f"pgship_{secrets.token_hex(8)}"
            lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            lines.append(f"{name}={value}\n")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("".join(lines))
    return True


def read_outputs(path: str) -> dict[str, str]:
    """Parse a $GITHUB_OUTPUT file (both forms) into a dict; later values win. For tests and tools."""
    result: dict[str, str] = {}
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            while index < len(lines) and lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            index += 1
            result[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            result[name] = value
    return result
