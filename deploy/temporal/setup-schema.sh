#!/bin/sh
# One-shot schema job for Temporal on PostgreSQL (runs in temporalio/admin-tools before the
# server starts). Safe to run on every `docker compose up`: databases are created and given their
# base schema only the first time; `update-schema` then applies only the versions not yet applied,
# which is also how a newer server image's migrations get in.
set -eu

: "${SQL_PLUGIN:=postgres12}"
: "${SQL_HOST:=postgres}"
: "${SQL_PORT:=5432}"
: "${SQL_USER:=temporal}"
: "${SQL_PASSWORD:?SQL_PASSWORD must be set (the PostgreSQL password of $SQL_USER)}"
: "${TEMPORAL_DB:=temporal}"
: "${VISIBILITY_DB:=temporal_visibility}"
SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12
export SQL_PASSWORD # read by temporal-sql-tool, so the password is not on a command line

sql() {
  db=$1
  shift
  temporal-sql-tool --plugin "$SQL_PLUGIN" --ep "$SQL_HOST" -p "$SQL_PORT" -u "$SQL_USER" --db "$db" "$@"
}

# Creates database $1 unless it exists; true (0) when it was created just now.
create_db() {
  db=$1
  if out=$(sql "$db" create 2>&1); then
    echo "created database $db"
    return 0
  elif printf '%s' "$out" | grep -q 'already exists'; then
    echo "database $db exists"
    return 1
  fi
  printf '%s\n' "$out" >&2
  echo "could not create database $db on $SQL_HOST:$SQL_PORT as $SQL_USER" >&2
  exit 1
}

setup() {
  db=$1
  dir=$2
  if create_db "$db"; then
    echo "setting up the base schema of $db"
    sql "$db" setup-schema -v 0.0
  fi
  sql "$db" update-schema -d "$SCHEMA_ROOT/$dir/versioned"
}

echo "waiting for PostgreSQL at $SQL_HOST:$SQL_PORT"
tries=0
until nc -z -w 2 "$SQL_HOST" "$SQL_PORT"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then
    echo "PostgreSQL at $SQL_HOST:$SQL_PORT does not answer after 60 s" >&2
    exit 1
  fi
  sleep 2
done

setup "$TEMPORAL_DB" temporal
setup "$VISIBILITY_DB" visibility
echo "Temporal schema is up to date"

# The database of hookflow's intake journal (HOOKFLOW_JOURNAL_URL in docker-compose.yml): created
# empty here, hookflow creates its tables at start-up.
create_db "${HOOKFLOW_DB:=hookflow}" || true
