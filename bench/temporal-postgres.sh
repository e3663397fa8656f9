#!/usr/bin/env bash
# A production-like Temporal for the benches: the real server (go.temporal.io/server, not the dev
# server) on the local PostgreSQL, its schema set up by temporal-sql-tool.
#
#   bash bench/temporal-postgres.sh build   # go install both binaries (niced; ~12 min on 2 cores)
#   bash bench/temporal-postgres.sh setup   # fresh databases hookflow_bench + hookflow_bench_visibility
#   bash bench/temporal-postgres.sh start   # runs the server in the foreground, frontend on 127.0.0.1:17233
#   bash bench/temporal-postgres.sh namespace  # (once, in another shell) registers the `default` namespace
#
# Then: TEMPORAL_ADDRESS=127.0.0.1:17233 npx tsx bench/run.ts --only ingest,e2e
# (npx tsx bench/side-by-side.ts --temporal postgres runs setup, start and namespace by itself.)
# v1.29.1 is the server of the dev server we bundle, and its go.mod has no replace directive, so
# `go install …@v1.29.1` works (later versions need a newer Go than /usr/local/go has).
set -euo pipefail
VERSION=v1.29.1
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="$ROOT/.hookflow/temporal-server"
BIN="$DIR/bin"
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
DB=${BENCH_DB:-hookflow_bench}
export PATH="$PATH:/usr/local/go/bin"

sqltool() {
  "$BIN/sql" --plugin postgres12 --ep "$PGHOST" -p "$PGPORT" -u "$PGUSER" "$@"
}

case "${1:-}" in
  build)
    mkdir -p "$BIN"
    GOBIN="$BIN" GOTOOLCHAIN=local nice -n 10 go install -p 1 \
      "go.temporal.io/server/cmd/server@$VERSION" "go.temporal.io/server/cmd/tools/sql@$VERSION"
    ;;
  setup)
    SCHEMA="$(go env GOMODCACHE)/go.temporal.io/server@$VERSION/schema/postgresql/v12"
    for db in "$DB" "${DB}_visibility"; do
      psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -qc "DROP DATABASE IF EXISTS $db" postgres
    done
    sqltool --db "$DB" create
    sqltool --db "$DB" setup-schema -v 0.0
    sqltool --db "$DB" update-schema -d "$SCHEMA/temporal/versioned"
    sqltool --db "${DB}_visibility" create
    sqltool --db "${DB}_visibility" setup-schema -v 0.0
    sqltool --db "${DB}_visibility" update-schema -d "$SCHEMA/visibility/versioned"
    ;;
  start)
    mkdir -p "$DIR/config/dynamicconfig"
    cat > "$DIR/config/dynamicconfig/bench.yaml" <<'YAML'
limit.maxIDLength:
  - value: 255
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
# As hookflow's embedded dev server runs (src/temporal/dev-server.ts): eager activity dispatch.
system.enableActivityEagerExecution:
  - value: true
YAML
    cat > "$DIR/config/development.yaml" <<YAML
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:
      sql: { pluginName: postgres12, databaseName: $DB, connectAddr: "$PGHOST:$PGPORT", connectProtocol: tcp, user: $PGUSER, password: "", maxConns: 20, maxIdleConns: 20, maxConnLifetime: 1h }
    visibility:
      sql: { pluginName: postgres12, databaseName: ${DB}_visibility, connectAddr: "$PGHOST:$PGPORT", connectProtocol: tcp, user: $PGUSER, password: "", maxConns: 4, maxIdleConns: 4, maxConnLifetime: 1h }
global:
  membership: { maxJoinDuration: 30s, broadcastAddress: 127.0.0.1 }
services:
  frontend: { rpc: { grpcPort: 17233, membershipPort: 16933, bindOnLocalHost: true, httpPort: 17243 } }
  matching: { rpc: { grpcPort: 17235, membershipPort: 16935, bindOnLocalHost: true } }
  history: { rpc: { grpcPort: 17234, membershipPort: 16934, bindOnLocalHost: true } }
  worker: { rpc: { grpcPort: 17239, membershipPort: 16939, bindOnLocalHost: true } }
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active: { enabled: true, initialFailoverVersion: 1, rpcName: frontend, rpcAddress: "127.0.0.1:17233" }
dcRedirectionPolicy: { policy: noop }
dynamicConfigClient: { filepath: "$DIR/config/dynamicconfig/bench.yaml", pollInterval: 10s }
YAML
    exec "$BIN/server" --root "$DIR" --config config --env development --allow-no-auth start
    ;;
  namespace)
    # The real server creates no namespace by itself (the dev server does); 1 day of retention.
    "$ROOT/.hookflow/bin/temporal" operator namespace create --namespace default --retention 24h --address 127.0.0.1:17233
    ;;
  *)
    echo "usage: bash bench/temporal-postgres.sh build|setup|start|namespace" >&2
    exit 2
    ;;
esac
