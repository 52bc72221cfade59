# shellcheck shell=bash
# Sourced by every pgship action's run step: working directory, the common inputs, pgship itself.
#
# The action maps each input to a PGSHIP_IN_<NAME> variable in the step's `env:` (never `${{ }}`
# in `run:`). An empty input changes nothing, so a DATABASE_URL set on the job or workflow still
# applies when the action's database-url input is left empty.
set -euo pipefail

if [ -n "${PGSHIP_IN_WORKING_DIRECTORY:-}" ]; then
  cd "$PGSHIP_IN_WORKING_DIRECTORY"
fi

# The global options of `pgship` (see `pgship --help`), through the variables they read.
if [ -n "${PGSHIP_IN_DATABASE_URL:-}" ]; then export DATABASE_URL="$PGSHIP_IN_DATABASE_URL"; fi
if [ -n "${PGSHIP_IN_ENVIRONMENT:-}" ]; then export PGSHIP_ENVIRONMENT="$PGSHIP_IN_ENVIRONMENT"; fi
if [ -n "${PGSHIP_IN_CONFIG:-}" ]; then export PGSHIP_CONFIG="$PGSHIP_IN_CONFIG"; fi
if [ -n "${PGSHIP_IN_MIGRATIONS_DIR:-}" ]; then export PGSHIP_MIGRATIONS_DIR="$PGSHIP_IN_MIGRATIONS_DIR"; fi
if [ -n "${PGSHIP_IN_ROLLBACKS_DIR:-}" ]; then export PGSHIP_ROLLBACKS_DIR="$PGSHIP_IN_ROLLBACKS_DIR"; fi
if [ -n "${PGSHIP_IN_LOCK_WAIT:-}" ]; then export PGSHIP_LOCK_WAIT="$PGSHIP_IN_LOCK_WAIT"; fi

PGSHIP_SETUP_DIR="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/pgship-setup"
"$(dirname "${BASH_SOURCE[0]}")/install.sh"
export PATH="$PGSHIP_SETUP_DIR/bin:$PATH"
if [ -z "${PGSHIP_PG_BIN_DIR:-}" ] && [ -f "$PGSHIP_SETUP_DIR/pg-bin-dir" ]; then
  PGSHIP_PG_BIN_DIR="$(cat "$PGSHIP_SETUP_DIR/pg-bin-dir")"
  export PGSHIP_PG_BIN_DIR
fi

# A file for a JSON report under $RUNNER_TEMP (kept for later steps of the job).
pgship_report_path() {
  local dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/pgship"
  mkdir -p "$dir"
  echo "$dir/$1-${GITHUB_RUN_ATTEMPT:-1}-$$.json"
}

# The command line is built in the array `args`: pgship_option FLAG VALUE adds `FLAG VALUE`
# unless VALUE is empty; pgship_switch FLAG VALUE adds FLAG when VALUE is true.
args=()
pgship_option() {
  if [ -n "$2" ]; then args+=("$1" "$2"); fi
}

pgship_switch() {
  case "$2" in
    true) args+=("$1") ;;
    false | "") ;;
    *)
      echo "::error title=pgship::$1 takes true or false, not '$2'."
      exit 2
      ;;
  esac
}

# pgship_outputs VERB FILE: the step outputs of VERB from its JSON report.
pgship_outputs() {
  "$PGSHIP_SETUP_DIR/bin/python" -m pgship.ghaction outputs "$1" "$2"
}
