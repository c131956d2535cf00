#!/usr/bin/env bash
# Project-local PostgreSQL cluster and Redis broker under var/<profile>/ (ignored by git).
#   scripts/services.sh start demo|test    start (creating the cluster on first use) and print env exports
#   scripts/services.sh stop  demo|test
# When DATABASE_URL / CELERY_BROKER_URL are already set, the matching local service is not started.
set -euo pipefail
cd "$(dirname "$0")/.."
action=${1:?start|stop}; profile=${2:-demo}
case "$profile" in
  demo) pg_port=${LAMDA_PG_PORT:-54320}; redis_port=${LAMDA_REDIS_PORT:-63790} ;;
  test) pg_port=${LAMDA_PG_PORT:-54321}; redis_port=${LAMDA_REDIS_PORT:-63791} ;;
  *) echo "unknown profile '$profile' (demo|test)" >&2; exit 2 ;;
esac
root=$(pwd)/var/$profile
pgdata=$root/pg/data; pgrun=$root/pg/run; pglog=$root/pg/postgres.log
bindir=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n1)")
as_pg() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }

pg_dir_for_root() {
  # As root, the cluster runs as the `postgres` user, which must be able to reach var/<profile>/pg. When the
  # checkout sits under a directory it cannot enter (e.g. /root), keep the files in /tmp and link them from var/.
  mkdir -p "$root"
  if [ ! -e "$root/pg" ] && ! (cd / && runuser -u postgres -- test -x "$root"); then
    local alt="${TMPDIR:-/tmp}/lamda-pg-$(pwd | md5sum | cut -c1-10)-$profile"
    mkdir -p "$alt" && chown postgres "$alt" && ln -s "$alt" "$root/pg"
  fi
  if [ -L "$root/pg" ]; then  # postgres must be given the real path, not one through the link
    local real; real=$(readlink -f "$root/pg")
    pgdata=$real/data; pgrun=$real/run; pglog=$real/postgres.log
  fi
}
start_pg() {
  [ -n "${DATABASE_URL:-}" ] && return 0
  [ -x "$bindir/initdb" ] || { echo "PostgreSQL not installed: run scripts/bootstrap.sh" >&2; exit 1; }
  [ "$(id -u)" = 0 ] && pg_dir_for_root
  mkdir -p "$root/pg/" "$pgrun"
  [ "$(id -u)" = 0 ] && chown -R postgres "$root/pg/"
  if [ ! -f "$pgdata/PG_VERSION" ]; then
    as_pg "$bindir/initdb" -D "$pgdata" -U lamda --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if as_pg "$bindir/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
    running=$(sed -n 4p "$pgdata/postmaster.pid" 2>/dev/null || true)
    if [ -n "$running" ] && [ "$running" != "$pg_port" ]; then
      echo "the $profile cluster in var/$profile/pg already runs on port $running, not $pg_port:" \
        "stop it first (scripts/services.sh stop $profile) or use LAMDA_PG_PORT=$running" >&2
      exit 2
    fi
  else
    # tuned for a small machine with many short test transactions; durability off only for the test profile
    opts="-p $pg_port -k $pgrun -h 127.0.0.1 -c max_connections=300 -c shared_buffers=256MB"
    [ "$profile" = test ] && opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    as_pg "$bindir/pg_ctl" -D "$pgdata" -l "$pglog" -o "$opts" -w start >/dev/null
  fi
  for _ in $(seq 1 50); do
    "$bindir/pg_isready" -h 127.0.0.1 -p "$pg_port" -U lamda -d postgres -q && break; sleep 0.2
  done
  if ! "$bindir/psql" -h 127.0.0.1 -p "$pg_port" -U lamda -d postgres -tAc "select 1 from pg_database where datname='lamda'" | grep -q 1; then
    "$bindir/createdb" -h 127.0.0.1 -p "$pg_port" -U lamda lamda
  fi
}
start_redis() {
  [ -n "${CELERY_BROKER_URL:-}" ] && return 0
  mkdir -p "$root/redis"
  if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
    # demo: an append-only file keeps queued jobs across a Redis restart; test: throw-away, in memory only
    persist="--appendonly no"
    [ "$profile" = demo ] && persist="--appendonly yes --appendfsync everysec"
    # shellcheck disable=SC2086
    redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$root/redis" --daemonize yes \
      --logfile "$root/redis/redis.log" --pidfile "$root/redis/redis.pid" --save "" $persist >/dev/null
    for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
}
case "$action" in
  start)
    start_pg; start_redis
    echo "export DATABASE_URL=${DATABASE_URL:-postgresql://lamda@127.0.0.1:$pg_port/lamda}"
    echo "export CELERY_BROKER_URL=${CELERY_BROKER_URL:-redis://127.0.0.1:$redis_port/0}"
    ;;
  stop)
    [ -L "$root/pg" ] && pgdata=$(readlink -f "$root/pg")/data
    [ -f "$pgdata/PG_VERSION" ] && as_pg "$bindir/pg_ctl" -D "$pgdata" -m fast stop >/dev/null 2>&1 || true
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop demo|test" >&2; exit 2 ;;
esac
