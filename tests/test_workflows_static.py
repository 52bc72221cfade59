"""Static checks of the actions and workflows: zizmor, actionlint, and pgship's own conventions.

- No `${{ }}` inside any `run:`: inputs reach scripts only through `env:`.
- Every input has a description and a default or `required`, and reaches what its description
  names: a CLI option (`pgship <verb> --flag`, checked against the real click command), an
  environment variable pgship reads (env `NAME`), a CLI argument, or the action itself.
- Every output has a description and is set: by the run script, by `pgship.ghaction`, or by the
  CLI verb itself.
- Every input and output is in docs/ACTIONS.md's tables.
- Third-party actions are pinned to a full commit SHA with a `# vX` comment; workflows grant least
  permissions, production jobs name their environment, and nothing uses pull_request_target.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from pgship.cli import cli
from pgship.ghaction import OUTPUTS

REPO = Path(__file__).resolve().parents[1]
ACTION_FILES = sorted([REPO / "action.yml", *(REPO / "actions").glob("*/action.yml")])
WORKFLOW_FILES = sorted((REPO / ".github" / "workflows").glob("*.yml"))
COMMON_SH = (REPO / "actions" / "setup" / "common.sh").read_text(encoding="utf-8")
INSTALL_SH = (REPO / "actions" / "setup" / "install.sh").read_text(encoding="utf-8")
DOCS = REPO / "docs" / "ACTIONS.md"
SOURCE = "\n".join(
    p.read_text(encoding="utf-8") for p in (REPO / "scripts" / "pgship").rglob("*.py")
)
ACTIONS = {p.parent.name if p.parent.name != REPO.name else "pgship": p for p in ACTION_FILES}
# Verbs other engineers are adding; their actions are written, and checked fully once they land.
PENDING_VERBS: set[str] = set()


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def action_id(path: Path) -> str:
    return str(path.relative_to(REPO))


def verb_of(path: Path) -> str | None:
    """The CLI verb an action runs (None: the umbrella action and setup)."""
    name = path.parent.name
    return None if path == REPO / "action.yml" or name == "setup" else name


def command(verb: str) -> click.Command | None:
    return cli.commands.get(verb)


def option_names(cmd: click.Command) -> dict[str, click.Parameter]:
    return {
        opt: p for p in cmd.params for opt in [*p.opts, *p.secondary_opts] if opt.startswith("--")
    }


def run_scripts(data: dict[str, Any]) -> list[str]:
    return [str(s["run"]) for s in data["runs"]["steps"] if "run" in s]


def step_env(data: dict[str, Any]) -> dict[str, str]:
    env: dict[str, str] = {}
    for step in data["runs"]["steps"]:
        env.update({k: str(v) for k, v in (step.get("env") or {}).items()})
    return env


def in_name(input_name: str) -> str:
    return "PGSHIP_IN_" + input_name.upper().replace("-", "_")


# ---------------------------------------------------------------- the tools


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]' brings it)")
    return path


def test_zizmor_finds_nothing() -> None:
    zizmor = _tool("zizmor")
    done = subprocess.run(
        [zizmor, "--offline", "--no-progress", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings" in done.stdout, done.stdout


def test_actionlint_finds_nothing() -> None:
    actionlint = _tool("actionlint")
    done = subprocess.run(
        [actionlint, "-no-color", *map(str, WORKFLOW_FILES)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == ""


# ---------------------------------------------------------------- actions


def test_every_verb_of_the_issue_has_an_action() -> None:
    wanted = {
        "setup",
        "migrate",
        "rollback",
        "status",
        "test",
        "review",
        "comment",
        "backup",
        "verify-backup",
        "restore",
        "confirm",
        "notify",
        "health",
    }
    assert wanted <= set(ACTIONS)
    for name in wanted - {"setup"}:
        assert name in cli.commands or name in PENDING_VERBS, f"pgship {name} does not exist"


@pytest.mark.parametrize("path", ACTION_FILES + WORKFLOW_FILES, ids=action_id)
def test_no_expressions_in_run(path: Path) -> None:
    data = load(path)
    steps: list[dict[str, Any]] = []
    if "runs" in data:
        steps = data["runs"].get("steps", [])
    for job in (data.get("jobs") or {}).values():
        steps += job.get("steps", [])
    for step in steps:
        assert "${{" not in str(step.get("run", "")), f"{path}: {step.get('name')} uses ${{{{ }}}}"


@pytest.mark.parametrize("path", ACTION_FILES, ids=action_id)
def test_inputs_are_described_and_defaulted(path: Path) -> None:
    data = load(path)
    assert data.get("description")
    for name, spec in data["inputs"].items():
        assert spec.get("description"), f"{name} has no description"
        assert "${{" not in spec["description"], f"{name}: no expressions in a description"
        assert "default" in spec or spec.get("required") is True, f"{name}: no default/required"
        if spec.get("required") is True:
            assert "default" not in spec, f"{name}: required and defaulted"


@pytest.mark.parametrize("path", ACTION_FILES, ids=action_id)
def test_composite_actions_install_pgship_first(path: Path) -> None:
    data = load(path)
    assert data["runs"]["using"] == "composite"
    main = run_scripts(data)[-1]
    sourced = re.compile(
        r'^\. "\$GITHUB_ACTION_PATH/(\.\./setup/|actions/setup/)?common\.sh"$', re.M
    )
    assert sourced.search(main), "the run step must source setup/common.sh (installs pgship)"


FLAG_RE = re.compile(r"`pgship(?: ([a-z][a-z-]*))? (--[a-z][a-z-]*)`")
ENV_RE = re.compile(r"env `([A-Z][A-Z0-9_]*)`")
ARG_RE = re.compile(r"`pgship(?: ([a-z][a-z-]*))?` (?:argument|arguments|command)")


@pytest.mark.parametrize("path", ACTION_FILES, ids=action_id)
def test_each_input_reaches_what_it_names(path: Path) -> None:
    data = load(path)
    verb = verb_of(path)
    cmd = command(verb) if verb else None
    if verb and cmd is None:
        assert verb in PENDING_VERBS
    script = "\n".join(run_scripts(data))
    env = step_env(data)
    global_options = option_names(cli)
    for name, spec in data["inputs"].items():
        description = str(spec["description"])
        variable = in_name(name)
        mapped = [k for k, v in env.items() if v.replace(" ", "") == f"${{{{inputs.{name}}}}}"]
        if not mapped:  # only an `if:` of the action may read it, and only an action-level input
            assert "(action only" in description, f"{name} does not reach the script via env:"
            assert f"inputs.{name}" in str([s.get("if") for s in data["runs"]["steps"]]), name
            continue
        variable = mapped[0]
        flag = FLAG_RE.search(description)
        env_var = ENV_RE.search(description)
        argument = ARG_RE.search(description)
        if flag:
            flag_verb, option = flag.groups()
            if flag_verb is None:  # a global option: common.sh exports the variable it reads
                assert option in global_options, f"{name}: pgship has no global {option}"
                envvar = global_options[option].envvar
                assert f'export {envvar}="${variable}"' in COMMON_SH + script, (name, envvar)
                continue
            assert flag_verb == verb, f"{name} names pgship {flag_verb}, the action runs {verb}"
            if cmd is not None:
                assert option in option_names(cmd), f"{name}: pgship {verb} has no {option}"
            lines = [line for line in script.splitlines() if option in line]
            assert any(f"${variable}" in line or f"${{{variable}" in line for line in lines), (
                f"{name} does not reach {option} in the script"
            )
        elif env_var:
            target = env_var.group(1)
            assert f'export {target}="${variable}"' in script or (
                variable == target and (f"${target}" in INSTALL_SH or f"${{{target}" in INSTALL_SH)
            ), f"{name} does not set {target}"
            if verb not in PENDING_VERBS:
                assert target in SOURCE or target in INSTALL_SH, f"nothing reads {target}"
        elif argument:
            assert f"${variable}" in script or f"${{{variable}" in script, name
        else:
            assert "(action only" in description, f"{name}: say which option it sets"
            used = script + COMMON_SH + INSTALL_SH
            assert (
                f"${variable}" in used or f"{{{variable}" in used or f"inputs.{name}" in str(data)
            ), name


@pytest.mark.parametrize("path", ACTION_FILES, ids=action_id)
def test_each_output_is_described_and_set(path: Path) -> None:
    data = load(path)
    verb = verb_of(path)
    script = "\n".join(run_scripts(data))
    for name, spec in (data.get("outputs") or {}).items():
        assert spec.get("description"), name
        match = re.fullmatch(r"\$\{\{ steps\.([a-z-]+)\.outputs\.([a-z-]+) \}\}", spec["value"])
        assert match, f"{name}: {spec['value']}"
        key = match.group(2)
        set_by_script = f'echo "{key}=' in script or f"echo {key}=" in script
        set_by_helper = verb in OUTPUTS and key in OUTPUTS[verb]({})
        set_by_cli = f'"{key}"' in SOURCE
        if verb in PENDING_VERBS:
            continue
        assert set_by_script or set_by_helper or set_by_cli, f"{name} ({key}) is never set"


def _doc_sections() -> dict[str, str]:
    text = DOCS.read_text(encoding="utf-8")
    sections: dict[str, str] = {}
    for block in re.split(r"^### ", text, flags=re.MULTILINE)[1:]:
        title, _, body = block.partition("\n")
        found = re.search(r"`([^`]+)`", title)
        if found:
            sections[found.group(1)] = body
    return sections


@pytest.mark.parametrize("path", ACTION_FILES, ids=action_id)
def test_inputs_and_outputs_are_documented(path: Path) -> None:
    sections = _doc_sections()
    key = "pgship" if path == REPO / "action.yml" else f"actions/{path.parent.name}"
    assert key in sections, f"docs/ACTIONS.md has no ### `{key}` section"
    body = sections[key]
    data = load(path)
    for name in [*data["inputs"], *(data.get("outputs") or {})]:
        assert re.search(rf"^\| `{re.escape(name)}` \|", body, re.MULTILINE), (
            f"{name} of {key} is not in its table in docs/ACTIONS.md"
        )


# ---------------------------------------------------------------- workflows


USES_RE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", re.MULTILINE)


@pytest.mark.parametrize("path", ACTION_FILES + WORKFLOW_FILES, ids=action_id)
def test_third_party_actions_are_pinned(path: Path) -> None:
    for target, rest in USES_RE.findall(path.read_text(encoding="utf-8")):
        if target.startswith(("./", "$/")):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", target), target
        assert re.match(r"\s*# v\d", rest), f"{target} needs a `# vX` comment"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=action_id)
def test_workflow_permissions_and_triggers(path: Path) -> None:
    data = load(path)
    triggers = data.get("on") or data.get(True)  # YAML 1.1 reads `on` as True
    assert "pull_request_target" not in triggers
    assert data.get("permissions") == {}, "top level grants nothing; jobs ask for what they use"
    for job_id, job in data["jobs"].items():
        assert "permissions" in job, f"{job_id} must state its permissions"
        if "steps" in job:
            assert job.get("timeout-minutes"), f"{job_id} needs a timeout"


@pytest.mark.parametrize(
    "name", ["database-migration.yml", "deploy-production.yml", "database-backup.yml"]
)
def test_production_workflows_never_cancel_and_name_the_environment(name: str) -> None:
    data = load(REPO / ".github" / "workflows" / name)
    assert data["concurrency"]["cancel-in-progress"] is False
    environments = [str(job.get("environment", "")) for job in data["jobs"].values()]
    assert any("production" in e or "needs.confirm.outputs.environment" in e for e in environments)
    triggers = data.get("on") or data.get(True)
    assert "workflow_call" in triggers


def test_reusable_workflows_declare_inputs_and_secrets() -> None:
    for name in ("database-test.yml", "database-backup.yml", "database-migration.yml"):
        data = load(REPO / ".github" / "workflows" / name)
        call = (data.get("on") or data.get(True))["workflow_call"]
        assert call.get("inputs"), name
    for name in ("database-backup.yml", "database-migration.yml", "deploy-production.yml"):
        data = load(REPO / ".github" / "workflows" / name)
        secrets = (data.get("on") or data.get(True))["workflow_call"]["secrets"]
        assert "DATABASE_URL" in secrets and "SLACK_WEBHOOK_URL" in secrets, name
