#!/usr/bin/env bash
# A throwaway PostgreSQL server for chop's tests: initdb into a fresh /tmp folder, listen on a
# free loopback port and a Unix socket there, and write what clients need to STATE/server.env.
#   pg_server.sh start STATE [--watch PID|--watch-parent]  start; a watchdog stops it when PID
#                                            (or the caller, e.g. ctest) ends, however it ends
#   pg_server.sh stop STATE                  stop and delete the data folder
#   pg_server.sh halt STATE [fast|immediate] stop, keeping the data (outage tests)
#   pg_server.sh resume STATE [--watch PID]  start a halted server again on the same port
# PostgreSQL refuses to run as root: as root the server runs as the `postgres` user.
set -euo pipefail

PGBIN="${CHOP_PG_BIN:-}"
if [ -z "$PGBIN" ]; then
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && PGBIN="$d"; done
fi
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  echo "pg_server.sh: no PostgreSQL server binaries (install the 'postgresql' package:" \
       "bash scripts/setup.sh)" >&2
  exit 1
fi

cmd="${1:-}"
state="${2:-}"
[ -n "$cmd" ] && [ -n "$state" ] || { echo "usage: pg_server.sh start|stop|halt|resume STATE" >&2; exit 2; }
shift 2
watch_pid=""
halt_mode="fast"
while [ $# -gt 0 ]; do
  case "$1" in
    --watch) watch_pid="$2"; shift 2 ;;
    --watch-parent) watch_pid="$PPID"; shift ;;  # ctest's fixture: stop when ctest ends
    fast|immediate) halt_mode="$1"; shift ;;
    *) echo "pg_server.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$state"
state="$(cd "$state" && pwd)"
env_file="$state/server.env"

as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Stops the server when the watched process ends (ctest, or a test process killed with -9),
# and exits on its own once the server is gone. Detached from every inherited descriptor so
# ctest never waits for it.
start_watchdog() {
  local data="$1" pid="$2"
  [ -n "$pid" ] || return 0
  setsid bash -c '
    data="$1"; pid="$2"; pgbin="$3"; me="$(id -u)"
    while [ -f "$data/postmaster.pid" ]; do
      if ! kill -0 "$pid" 2>/dev/null; then
        if [ "$me" -eq 0 ]; then runuser -u postgres -- "$pgbin/pg_ctl" -D "$data" -m immediate stop
        else "$pgbin/pg_ctl" -D "$data" -m immediate stop; fi
        rm -rf "$(dirname "$data")"
        exit 0
      fi
      sleep 1
    done' chop-pg-watchdog "$data" "$pid" "$PGBIN" </dev/null >/dev/null 2>&1 &
}

server_up() {
  local data="$1" port="$2" log="$3"
  as_server_user "$PGBIN/pg_ctl" -D "$data" -l "$log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$(dirname "$data")" \
    start >/dev/null
}

case "$cmd" in
  start)
    if [ -f "$env_file" ]; then "$0" stop "$state" || true; fi
    root="$(mktemp -d /tmp/chop-pg.XXXXXX)"
    data="$root/data"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$root"
    chmod 700 "$root"
    pw_chop="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
    pw_noperm="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
    as_server_user "$PGBIN/initdb" -D "$data" -U postgres --no-sync -E UTF8 --locale=C \
      -A trust >"$root/initdb.log" 2>&1 || { cat "$root/initdb.log" >&2; exit 1; }
    # Tests only: no fsync (the OS never crashes under a test), small memory, C messages.
    cat >>"$data/postgresql.conf" <<EOF
fsync = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 60
lc_messages = 'C'
log_min_messages = warning
EOF
    # The harness administers over the socket as postgres; every other role needs its password.
    cat >"$data/pg_hba.conf" <<EOF
local all postgres trust
local all all scram-sha-256
host all all 127.0.0.1/32 scram-sha-256
EOF
    started=""
    for _ in 1 2 3 4 5; do
      port="$(free_port)"
      if server_up "$data" "$port" "$root/server.log" 2>>"$root/start.log"; then started=1; break; fi
    done
    if [ -z "$started" ]; then
      cat "$root/start.log" "$root/server.log" >&2 2>/dev/null || true
      rm -rf "$root"
      exit 1
    fi
    psql_admin() {
      "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$root" -p "$port" -U postgres -d postgres "$@"
    }
    psql_admin -c "CREATE ROLE chop LOGIN CREATEDB PASSWORD '$pw_chop'" \
               -c "CREATE ROLE chop_noperm LOGIN PASSWORD '$pw_noperm'" >/dev/null
    umask 077
    cat >"$env_file" <<EOF
CHOP_PG_ROOT=$root
CHOP_PG_DATA=$data
CHOP_PG_SOCKET_DIR=$root
CHOP_PG_PORT=$port
CHOP_PG_USER=chop
CHOP_PG_PASSWORD=$pw_chop
CHOP_PG_NOPERM_USER=chop_noperm
CHOP_PG_NOPERM_PASSWORD=$pw_noperm
EOF
    start_watchdog "$data" "$watch_pid"
    echo "pg_server.sh: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port and $root (state $state)"
    ;;
  stop)
    [ -f "$env_file" ] || exit 0
    # shellcheck disable=SC1090
    . "$env_file"
    if [ -f "$CHOP_PG_DATA/postmaster.pid" ]; then
      as_server_user "$PGBIN/pg_ctl" -D "$CHOP_PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$CHOP_PG_ROOT"
    rm -f "$env_file"
    ;;
  halt)
    . "$env_file"
    as_server_user "$PGBIN/pg_ctl" -D "$CHOP_PG_DATA" -m "$halt_mode" -w stop >/dev/null
    ;;
  resume)
    . "$env_file"
    server_up "$CHOP_PG_DATA" "$CHOP_PG_PORT" "$CHOP_PG_ROOT/server.log"
    start_watchdog "$CHOP_PG_DATA" "$watch_pid"
    ;;
  *)
    echo "pg_server.sh: unknown command $cmd" >&2
    exit 2
    ;;
esac
