"""Benchmark `pgship test` on the example migrations, and `take_fingerprint` on their schema.

Run from anywhere:  python bench/bench_test_command.py [--runs 5]

1. `pgship test --keep` against a server that is already running (one EmbeddedPostgres started
   here), which separates the server start cost. --keep leaves the test databases in place.
2. `take_fingerprint` on the example schema: `pgship migrate` into a fresh database, then 20 calls.
3. `pgship test` as users run it: a subprocess from the repo root with no DATABASE_URL, so it
   starts and stops its own embedded PostgreSQL (server start and stop included in the time).

Order matters on some machines: after many files are deleted (DROP DATABASE, or a removed
cluster) creating new files is slower for a minute or more. So nothing is deleted before the
measurements that do not need it, and the shared server is thrown away only at the end.

Prints the machine and a markdown table of min / median / max wall times.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))  # benchmark the work tree

import psycopg  # noqa: E402

from pgship.embedded import EmbeddedPostgres  # noqa: E402
from pgship.fingerprint import take_fingerprint  # noqa: E402

FINGERPRINT_CALLS = 20


def pgship_command() -> list[str]:
    """The `pgship` console script, or `python -m pgship` when it is not on PATH."""
    script = shutil.which("pgship")
    return [script] if script else [sys.executable, "-m", "pgship"]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without DATABASE_URL and PGSHIP_* (they would change what runs)."""
    env = {
        k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("PGSHIP_")
    }
    env.pop("GITHUB_STEP_SUMMARY", None)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO / "scripts"), env.get("PYTHONPATH")])
    )
    return {**env, **extra}


def run_pgship(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        [*pgship_command(), *args], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(
            f"pgship {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )


def timed(func: Callable[[], object], runs: int) -> list[float]:
    """Wall times in seconds of `runs` calls of func."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return times


def machine(server_version: str) -> str:
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return (
        f"{os.cpu_count()} CPUs ({platform.machine()}), {mem_kb / 1024**2:.1f} GiB memory, "
        f"Python {platform.python_version()}, PostgreSQL {server_version}"
    )


def row(name: str, times: list[float], unit: str = "s") -> str:
    scale, fmt = (1000, "{:.1f} ms") if unit == "ms" else (1, "{:.2f} s")
    low, mid, high = (
        fmt.format(t * scale) for t in (min(times), statistics.median(times), max(times))
    )
    return f"| {name} | {len(times)} | {low} | {mid} | {high} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each pgship test (default 5)")
    runs = parser.parse_args().runs
    if runs < 1:
        parser.error("--runs must be 1 or more")

    with EmbeddedPostgres() as server:
        warm_env = clean_env(DATABASE_URL=server.url)
        print(f"pgship test --keep on a running server, {runs} runs ...", file=sys.stderr)
        warm = timed(lambda: run_pgship(["test", "--keep"], warm_env), runs)

        print(f"take_fingerprint, {FINGERPRINT_CALLS} calls ...", file=sys.stderr)
        with psycopg.connect(server.url, autocommit=True) as admin:
            admin.execute("CREATE DATABASE bench_fingerprint")
            version = admin.info.parameter_status("server_version") or "?"
        db_url = server.url_for("bench_fingerprint")
        run_pgship(["--database-url", db_url, "migrate"], clean_env())
        with psycopg.connect(db_url, autocommit=True) as conn:
            take_fingerprint(conn)  # warm the catalog caches once
            fingerprint = timed(lambda: take_fingerprint(conn), FINGERPRINT_CALLS)

        print(f"pgship test, embedded server (start included), {runs} runs ...", file=sys.stderr)
        cold = timed(lambda: run_pgship(["test"], clean_env()), runs)

    print(f"Machine: {machine(version)}\n")
    print("| measurement | runs | min | median | max |")
    print("|---|---:|---:|---:|---:|")
    print(row("`pgship test`, embedded server (start and stop included)", cold))
    print(row("`pgship test --keep`, server already running", warm))
    print(row("`take_fingerprint`, example schema (7 migrations)", fingerprint, unit="ms"))
    start_cost = statistics.median(cold) - statistics.median(warm)
    print(f"\nServer start and stop: about {start_cost:.2f} s (difference of the medians).")
    print("`pgship test` runs in order: " + ", ".join(f"{t:.2f} s" for t in cold))


if __name__ == "__main__":
    main()
