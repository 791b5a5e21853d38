#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests and benchmarks: ./.pg under the repo, loopback only.
#   bash scripts/pg.sh start|stop|status|url
# Port 54329 (override with PGPORT_LLM). fsync off: the data is disposable by design.
# Runs the server as the `postgres` user when invoked as root (initdb refuses root).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PGROOT="${LLM_ADVISOR_PG_DIR:-$ROOT/.pg}"
DATA="$PGROOT/data"
LOG="$PGROOT/server.log"
PORT="${PGPORT_LLM:-54329}"
URL="postgresql://postgres@127.0.0.1:${PORT}/postgres"

find_bindir() {
  if [[ -n "${PG_BINDIR:-}" && -x "$PG_BINDIR/pg_ctl" ]]; then echo "$PG_BINDIR"; return; fi
  local d
  # Newest installed major version first (Debian layout), then whatever is on PATH.
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
    if [[ -x "$d/pg_ctl" && -x "$d/initdb" ]]; then echo "$d"; return; fi
  done
  if command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v pg_ctl)"; return; fi
  echo "error: PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and PATH)" >&2
  exit 1
}

as_pg() {
  if [[ "$(id -u)" == "0" ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

is_running() {
  [[ -f "$DATA/postmaster.pid" ]] || return 1
  as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

cmd="${1:-status}"
case "$cmd" in
  url)
    echo "$URL"
    exit 0
    ;;
esac

BIN="$(find_bindir)"

case "$cmd" in
  start)
    if is_running; then
      echo "postgres already running on 127.0.0.1:$PORT ($DATA)"
      exit 0
    fi
    mkdir -p "$PGROOT"
    if [[ "$(id -u)" == "0" ]]; then
      chown postgres:postgres "$PGROOT"
      # The postgres user must be able to reach ./.pg through the repo's parents.
      d="$PGROOT"
      while [[ "$d" != "/" ]]; do d="$(dirname "$d")"; chmod o+x "$d" 2>/dev/null || true; done
    fi
    if [[ ! -f "$DATA/PG_VERSION" ]]; then
      as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --no-sync -E UTF8 \
        --locale=C.UTF-8 >"$PGROOT/initdb.log" 2>&1 || {
        cat "$PGROOT/initdb.log" >&2
        exit 1
      }
    fi
    as_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 30 -o \
      "-p $PORT -k $PGROOT -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null || {
      tail -n 20 "$LOG" >&2
      exit 1
    }
    echo "postgres started on 127.0.0.1:$PORT ($DATA)"
    ;;
  stop)
    if is_running; then
      as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
      echo "postgres stopped"
    else
      echo "postgres not running"
    fi
    ;;
  status)
    if is_running; then
      echo "running on 127.0.0.1:$PORT ($DATA)"
    else
      echo "not running"
      exit 3
    fi
    ;;
  *)
    echo "usage: $0 start|stop|status|url" >&2
    exit 2
    ;;
esac
