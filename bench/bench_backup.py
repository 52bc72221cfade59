"""Benchmark `pgship backup` against plain `pg_dump -Fc` on a database of about 1 GB.

Run from anywhere:  python bench/bench_backup.py [--scale 60] [--runs 3]

1. An embedded PostgreSQL (pgship.embedded) and `pgbench -i -s <scale>` in a fresh database
   (scale 60: 6 million pgbench_accounts rows, about 0.9 GB with indexes).
2. One untimed warm-up of each command, so that every timed run reads from a warm cache.
3. `runs` rounds, each timing in turn (every other round in reverse order): plain `pg_dump -Fc`, `pgship backup` (the console script,
   as users run it: Python start, connect, snapshot, pg_dump, row counts, fingerprint, sha256,
   `pg_restore --list` check, manifest), `pg_dump -Fd --jobs 2`, and
   `pgship backup --format directory --jobs 2`. Outputs go to a temporary folder and are deleted
   after each run.
4. The fixed cost: `pgship backup` and `pg_dump -Fc` of an empty database, 5 runs each.
5. Once: `pgship verify-backup --restore-test` of a custom-format backup on a second embedded
   server (the restore time is the RTO figure it reports).

Prints the machine, a markdown table of min / median / max wall times, the ratios of the
medians, and the CPU seconds each command cost (client programs plus the server backends they
used), a figure far less sensitive than wall time to other work on a shared machine. Nothing is dropped until all timing is done (on these machines a DROP DATABASE slows the
creation of table files for minutes); the whole server is thrown away at the end.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))  # benchmark the work tree

import psycopg  # noqa: E402

from pgship.embedded import EmbeddedPostgres  # noqa: E402


def pgship_command() -> list[str]:
    """The `pgship` console script, or `python -m pgship` when it is not on PATH."""
    script = shutil.which("pgship")
    return [script] if script else [sys.executable, "-m", "pgship"]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without DATABASE_URL, PGSHIP_* and GitHub variables."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "DATABASE_URL" and not k.startswith(("PGSHIP_", "GITHUB_"))
    }
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO / "scripts"), env.get("PYTHONPATH")])
    )
    return {**env, **extra}


def run(args: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout


def fresh(folder: Path) -> Path:
    """An empty folder (what a previous run wrote is deleted)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def timed(func: Callable[[], object]) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def cpu_seconds(postmaster_pid: int) -> float:
    """CPU used so far by this process's finished children (pg_dump, pgship and what they ran)
    and by the server's finished backends (counted into the postmaster's cutime/cstime)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    fields = Path(f"/proc/{postmaster_pid}/stat").read_text().rsplit(")", 1)[1].split()
    server_ticks = int(fields[13]) + int(fields[14])  # cutime, cstime
    return children.ru_utime + children.ru_stime + server_ticks / os.sysconf("SC_CLK_TCK")


def timed_with_cpu(func: Callable[[], object], postmaster_pid: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of client and server processes) of one call."""
    cpu_before = cpu_seconds(postmaster_pid)
    wall = timed(func)
    time.sleep(0.3)  # let the postmaster reap the command's backends
    return wall, cpu_seconds(postmaster_pid) - cpu_before


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


def row(name: str, times: list[float]) -> str:
    low, mid, high = (f"{t:.2f} s" for t in (min(times), statistics.median(times), max(times)))
    return f"| {name} | {len(times)} | {low} | {mid} | {high} |"


def size_of(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=60, help="pgbench scale (default 60)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (default 3)")
    options = parser.parse_args()
    if options.runs < 1 or options.scale < 1:
        parser.error("--runs and --scale must be 1 or more")

    work = Path(tempfile.mkdtemp(prefix="pgship-bench-backup-"))
    try:
        with EmbeddedPostgres() as server:
            bin_dir = server.binaries.bin_dir
            with psycopg.connect(server.url, autocommit=True) as admin:
                admin.execute("CREATE DATABASE bench_backup")
                version = admin.info.parameter_status("server_version") or "?"
            url = server.url_for("bench_backup")
            print(f"pgbench -i -s {options.scale} ...", file=sys.stderr)
            init = timed(
                lambda: run([str(bin_dir / "pgbench"), "-i", "-q", "-s", str(options.scale), url])
            )
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
                db_size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
            assert db_size is not None
            pgship_env = clean_env(DATABASE_URL=url)
            pg_dump = str(bin_dir / "pg_dump")
            out = work / "out"

            def plain_custom() -> None:
                run([pg_dump, "-Fc", "-f", str(fresh(out) / "plain.dump"), "-d", url])

            def plain_directory() -> None:
                run([pg_dump, "-Fd", "-j", "2", "-f", str(fresh(out) / "plain.dir"), "-d", url])

            manifests: dict[str, dict[str, Any]] = {}

            def pgship_backup(*extra: str) -> Callable[[], None]:
                def go() -> None:
                    args = ["--format", "json", "backup", "-q", "--output-dir", str(fresh(out))]
                    report = json.loads(run([*pgship_command(), *args, *extra], pgship_env))
                    manifests[" ".join(extra) or "custom"] = report

                return go

            commands: list[tuple[str, Callable[[], None]]] = [
                ("plain `pg_dump -Fc`", plain_custom),
                ("`pgship backup` (custom format)", pgship_backup()),
                ("plain `pg_dump -Fd --jobs 2`", plain_directory),
                (
                    "`pgship backup --format directory --jobs 2`",
                    pgship_backup("--format", "directory", "--jobs", "2"),
                ),
            ]
            print("warm-up run of each ...", file=sys.stderr)
            sizes = {}
            for name, command in commands:
                command()
                produced = next(p for p in out.iterdir() if not p.name.endswith(".json"))
                sizes[name] = size_of(produced)
            times: dict[str, list[float]] = {name: [] for name, _ in commands}
            cpu: dict[str, list[float]] = {name: [] for name, _ in commands}
            assert server.data_dir is not None
            postmaster = int((server.data_dir / "postmaster.pid").read_text().split()[0])
            for n in range(options.runs):
                print(f"round {n + 1} of {options.runs} ...", file=sys.stderr)
                order = commands if n % 2 == 0 else commands[::-1]  # cancel order effects
                for name, command in order:
                    wall, used = timed_with_cpu(command, postmaster)
                    times[name].append(wall)
                    cpu[name].append(used)

            print("fixed cost: an empty database, 5 runs each ...", file=sys.stderr)
            with psycopg.connect(server.url, autocommit=True) as admin:
                admin.execute("CREATE DATABASE bench_empty")
            empty_url = server.url_for("bench_empty")
            empty_env = clean_env(DATABASE_URL=empty_url)
            empty_args = ["backup", "-q", "--output-dir"]
            empty: dict[str, list[float]] = {"pg_dump": [], "pgship": []}
            for _ in range(5):
                dump_args = [pg_dump, "-Fc", "-f", str(fresh(out) / "e.dump"), "-d", empty_url]
                empty["pg_dump"].append(timed(functools.partial(run, dump_args)))
                backup_args = [*pgship_command(), *empty_args, str(fresh(out))]
                empty["pgship"].append(timed(functools.partial(run, backup_args, empty_env)))

            print("verify-backup --restore-test ...", file=sys.stderr)
            pgship_backup()()
            archive = next(out.glob("*.dump"))
            verify_started = time.perf_counter()
            verified = json.loads(
                run(
                    [
                        *pgship_command(),
                        "--format",
                        "json",
                        "verify-backup",
                        "--restore-test",
                        str(archive),
                    ],
                    clean_env(),
                )
            )
            verify_total = time.perf_counter() - verify_started
    finally:
        shutil.rmtree(work, ignore_errors=True)

    median = {name: statistics.median(t) for name, t in times.items()}
    print(f"Machine: {machine(version)}")
    print(
        f"Database: pgbench scale {options.scale}, {db_size[0] / 1024**3:.2f} GiB "
        f"(pg_database_size), built in {init:.0f} s.\n"
    )
    print("| measurement | runs | min | median | max |")
    print("|---|---:|---:|---:|---:|")
    for name, _ in commands:
        print(row(name, times[name]))
    custom = median["`pgship backup` (custom format)"] / median["plain `pg_dump -Fc`"]
    directory = (
        median["`pgship backup --format directory --jobs 2`"]
        / median["`pgship backup` (custom format)"]
    )
    plain_dir = median["plain `pg_dump -Fd --jobs 2`"] / median["plain `pg_dump -Fc`"]
    paired = statistics.median(
        p / q
        for p, q in zip(
            times["`pgship backup` (custom format)"], times["plain `pg_dump -Fc`"], strict=True
        )
    )
    print()
    print(
        f"- `pgship backup` / plain `pg_dump -Fc`: ratio of the medians **{custom:.3f}**, "
        f"median of the per-round ratios {paired:.3f} (target <= 1.05)"
    )
    cpu_median = {name: statistics.median(c) for name, c in cpu.items()}
    print(
        "- CPU seconds (client programs + server backends), medians: "
        + ", ".join(f"{name} {cpu_median[name]:.2f} s" for name, _ in commands)
        + f"; `pgship backup` / plain `pg_dump -Fc`: "
        f"{cpu_median['`pgship backup` (custom format)'] / cpu_median['plain `pg_dump -Fc`']:.3f}"
    )
    print(
        f"- `pgship backup --format directory --jobs 2` / `pgship backup` (custom): "
        f"**{directory:.3f}** (plain pg_dump: {plain_dir:.3f})"
    )
    fixed = statistics.median(empty["pgship"]) - statistics.median(empty["pg_dump"])
    print(
        f"- Fixed cost of `pgship backup` on an empty database: {fixed:.2f} s over plain "
        f"`pg_dump -Fc` (medians of 5: {statistics.median(empty['pgship']):.2f} s vs "
        f"{statistics.median(empty['pg_dump']):.2f} s): Python start, imports, connection, "
        "snapshot, catalog reads, fingerprint, archive check, manifest."
    )
    last = manifests["custom"]
    print(
        f"- Inside the last timed custom-format `pgship backup`: pg_dump "
        f"{last['dump_ms'] / 1000:.2f} s of {last['duration_ms'] / 1000:.2f} s (manifest's "
        "dump_ms / duration_ms; the rest "
        "is the archive check, sha256 and manifest, plus Python start outside both)."
    )
    print(
        "- Archive sizes: "
        + ", ".join(f"{name} {size / 1024**2:.0f} MiB" for name, size in sizes.items())
    )
    restore = next(c for c in verified["checks"] if c["check"] == "restore")
    print(
        f"- `pgship verify-backup --restore-test` of the custom-format backup: "
        f"{'ok' if verified['ok'] else 'FAILED'}, restore (RTO) "
        f"{verified['restore_ms'] / 1000:.1f} s, whole command {verify_total:.1f} s "
        f"(embedded server start, restore, row counts, fingerprint). {restore['detail']}"
    )


if __name__ == "__main__":
    main()
