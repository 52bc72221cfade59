#!/usr/bin/env bash
# Install pgship for this job from this action's own checkout; a second call in the job is a no-op.
#
# Every pgship action runs this script by path ("$GITHUB_ACTION_PATH/../setup/install.sh"): a
# composite action cannot `uses:` a sibling by relative path when another repository calls it.
#
# Environment (all optional):
#   PGSHIP_INSTALL        action (default): a virtualenv under $RUNNER_TEMP, installed from this
#                         checkout with pip; path: use the `pgship` already on PATH (self-hosted
#                         runners with pgship preinstalled, or a checkout installed with pip -e).
#   PGSHIP_PYTHON         the Python (3.11+) to install with (default: python3).
#   PGSHIP_CHECK_PG_DUMP  true: make sure a pg_dump at least as new as the server is present
#                         (the server is the one pgship would connect to: DATABASE_URL, or the
#                         environment's variable in pgship.yml). On Debian/Ubuntu runners an older
#                         one is replaced by postgresql-client-<major> from apt.postgresql.org.
#
# Results, in $RUNNER_TEMP/pgship-setup/: bin/pgship and bin/python (links), version, and
# pg-bin-dir when the pg_dump check found or installed one. Logs go to stderr.
set -euo pipefail

log() { echo "pgship setup: $*" >&2; }
fail() {
  echo "::error title=pgship setup::$*"
  log "$*"
  exit 2
}

action_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
state_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/pgship-setup"
mode="${PGSHIP_INSTALL:-action}"
python="${PGSHIP_PYTHON:-python3}"
wanted_version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$action_root/pyproject.toml" | head -n 1)"

install_pgship() {
  if [ -x "$state_dir/bin/pgship" ] && [ "$(cat "$state_dir/source" 2>/dev/null)" = "$action_root:$mode" ]; then
    log "pgship $(cat "$state_dir/version") is already set up in this job."
    return 0
  fi
  mkdir -p "$state_dir/bin"
  case "$mode" in
    action)
      command -v "$python" >/dev/null || fail "No $python found: add actions/setup-python (3.11 or newer) before pgship."
      "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
        fail "pgship needs Python 3.11 or newer; $python is $("$python" -V 2>&1). Add actions/setup-python with python-version: '3.12' before pgship."
      local venv="$state_dir/venv"
      log "installing pgship $wanted_version from $action_root into $venv"
      rm -rf "$venv"
      "$python" -m venv "$venv" ||
        fail "Cannot create a virtualenv with $python (on Debian/Ubuntu: apt-get install python3-venv)."
      "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$action_root" ||
        fail "pip could not install pgship from $action_root."
      ln -sfn "$venv/bin/pgship" "$state_dir/bin/pgship"
      ln -sfn "$venv/bin/python" "$state_dir/bin/python"
      ;;
    path)
      local exe found
      exe="$("$python" -c 'import sys, pgship; print(sys.executable)' 2>/dev/null)" ||
        fail "PGSHIP_INSTALL=path, but $python cannot import pgship: set PGSHIP_PYTHON to pgship's Python."
      found="$(command -v pgship || true)"
      if [ -z "$found" ] && [ -x "$(dirname "$exe")/pgship" ]; then found="$(dirname "$exe")/pgship"; fi
      [ -n "$found" ] || fail "PGSHIP_INSTALL=path, but no pgship is on PATH."
      ln -sfn "$found" "$state_dir/bin/pgship"
      ln -sfn "$exe" "$state_dir/bin/python"
      ;;
    *)
      fail "PGSHIP_INSTALL must be action or path, not '$mode'."
      ;;
  esac
  local version
  version="$("$state_dir/bin/pgship" --version | sed -n 's/^pgship, version //p')"
  [ -n "$version" ] || fail "The installed pgship does not run: $state_dir/bin/pgship --version failed."
  if [ -n "$wanted_version" ] && [ "$version" != "$wanted_version" ]; then
    log "warning: pgship $version is in use; this action is pgship $wanted_version."
  fi
  echo "$version" >"$state_dir/version"
  echo "$action_root:$mode" >"$state_dir/source"
  log "pgship $version is ready ($state_dir/bin/pgship)."
}

# PGDG's apt repository for Debian/Ubuntu: https://wiki.postgresql.org/wiki/Apt
install_pg_client() {
  local major="$1" sudo="" codename=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ -r /etc/os-release ]; then
    # shellcheck disable=SC1091
    codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  fi
  if ! command -v apt-get >/dev/null || [ -z "$codename" ]; then
    return 1
  fi
  log "installing postgresql-client-$major from apt.postgresql.org ($codename-pgdg)"
  $sudo install -d /usr/share/postgresql-common/pgdg
  curl -fsSL https://www.postgresql.org/media/keys/ACCC4CF8.asc |
    $sudo tee /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc >/dev/null
  echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt $codename-pgdg main" |
    $sudo tee /etc/apt/sources.list.d/pgdg.list >/dev/null
  $sudo apt-get update -qq -o Dir::Etc::sourcelist=sources.list.d/pgdg.list \
    -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0 >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-client-$major" >&2
  [ -x "/usr/lib/postgresql/$major/bin/pg_dump" ]
}

check_pg_dump() {
  local report server_major="" pg_dump_major="" pg_dump_dir=""
  report="$("$state_dir/bin/python" -m pgship.ghaction pg-clients)" || {
    log "warning: could not ask the database its version; pg_dump was not checked."
    return 0
  }
  server_major="$(sed -n 's/^server_major=//p' <<<"$report")"
  pg_dump_major="$(sed -n 's/^pg_dump_major=//p' <<<"$report")"
  pg_dump_dir="$(sed -n 's/^pg_dump_dir=//p' <<<"$report")"
  if [ -z "$server_major" ]; then
    log "no database URL given: pg_dump was not checked."
    return 0
  fi
  if [ -n "$pg_dump_major" ] && [ "$pg_dump_major" -ge "$server_major" ]; then
    log "pg_dump $pg_dump_major ($pg_dump_dir) can back up PostgreSQL $server_major."
    echo "$pg_dump_dir" >"$state_dir/pg-bin-dir"
    return 0
  fi
  log "pg_dump ${pg_dump_major:-(none)} is older than the server (PostgreSQL $server_major)."
  install_pg_client "$server_major" ||
    fail "pg_dump $server_major or newer is needed and could not be installed here: install postgresql-client-$server_major, or set PGSHIP_PG_BIN_DIR to its bin folder."
  echo "/usr/lib/postgresql/$server_major/bin" >"$state_dir/pg-bin-dir"
  log "pg_dump $server_major is ready (/usr/lib/postgresql/$server_major/bin)."
}

install_pgship
if [ "${PGSHIP_CHECK_PG_DUMP:-false}" = "true" ]; then
  check_pg_dump
fi
