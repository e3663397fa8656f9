#!/usr/bin/env bash
# Installs the peers hookflow is measured against (bench/side-by-side.ts), outside the repository:
#
#   bash bench/peers/setup.sh [DIR]        # default DIR=/work/peers; safe to run again
#
#   DIR/nodered/   Node-RED 4.1.15, user dir DIR/nodered/user (flows.json + settings.js from here),
#                  webhook http://127.0.0.1:1881/hooks/bar → sink 127.0.0.1:9917
#   DIR/n8n/       n8n 1.123.81, executions in SQLite under DIR/n8n/user, the workflow of n8n/wf.json
#                  imported and active, webhook http://127.0.0.1:5678/webhook/bar → sink 127.0.0.1:9900
#
# Each peer gets a launcher, DIR/<peer>/run.sh, which the harness spawns: the one place that says
# how the peer is started (for n8n, its environment).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DIR="$(mkdir -p "${1:-/work/peers}" && cd "${1:-/work/peers}" && pwd)"
NODERED_VERSION=4.1.15
N8N_VERSION=1.123.81

say() { echo "peers: $*" >&2; }

# The version of <package> installed under <folder>/node_modules, or nothing.
installed() {
  node -e 'try { console.log(require(process.argv[1] + "/node_modules/" + process.argv[2] + "/package.json").version) } catch {}' "$1" "$2"
}

# A package.json of its own, so npm does not walk up to a parent folder's.
scratch() {
  mkdir -p "$1"
  [ -f "$1/package.json" ] || (cd "$1" && npm init -y >/dev/null)
}

nodered() {
  local d="$DIR/nodered"
  scratch "$d"
  if [ "$(installed "$d" node-red)" != "$NODERED_VERSION" ]; then
    say "installing node-red@$NODERED_VERSION in $d"
    (cd "$d" && npm install --no-audit --no-fund "node-red@$NODERED_VERSION")
  fi
  mkdir -p "$d/user"
  cp "$HERE/nodered/flows.json" "$HERE/nodered/settings.js" "$d/user/"
  cat > "$d/run.sh" <<SH
#!/usr/bin/env bash
# Node-RED $NODERED_VERSION with the bench flow (written by bench/peers/setup.sh).
cd "$d" && exec node node_modules/node-red/red.js -u "$d/user" -s "$d/user/settings.js" "\$@"
SH
  chmod +x "$d/run.sh"
  say "Node-RED ready: $d/run.sh"
}

n8n() {
  local d="$DIR/n8n"
  scratch "$d"
  # n8n's own xlsx dependency points at a CDN tarball this machine cannot reach.
  node -e 'const f = process.argv[1] + "/package.json"; const p = require(f); p.overrides = { ...p.overrides, xlsx: "0.18.5" }; require("fs").writeFileSync(f, JSON.stringify(p, null, 2) + "\n")' "$d"
  if [ "$(installed "$d" n8n)" != "$N8N_VERSION" ]; then
    # --ignore-scripts: isolated-vm does not build on Node 20 (n8n runs without it).
    say "installing n8n@$N8N_VERSION in $d (~3 min)"
    (cd "$d" && npm install --no-audit --no-fund --ignore-scripts "n8n@$N8N_VERSION")
  fi
  if ! (cd "$d" && node -e 'require("sqlite3")' 2>/dev/null); then
    say "building sqlite3's native binding (~1 min)"
    (cd "$d/node_modules/sqlite3" && npx --yes node-gyp rebuild --release)
  fi
  cat > "$d/run.sh" <<SH
#!/usr/bin/env bash
# n8n $N8N_VERSION for the bench (written by bench/peers/setup.sh): run.sh start | import:workflow … | …
export N8N_USER_FOLDER="$d/user" N8N_DIAGNOSTICS_ENABLED=false N8N_PERSONALIZATION_ENABLED=false \\
  N8N_RUNNERS_ENABLED=false N8N_PORT=5678 N8N_LISTEN_ADDRESS=127.0.0.1 N8N_EXPRESSION_ENGINE=legacy
cd "$d" && exec node node_modules/n8n/bin/n8n "\$@"
SH
  chmod +x "$d/run.sh"
  mkdir -p "$d/user"
  if ! "$d/run.sh" list:workflow --active=true 2>/dev/null | grep -q '^bench0000000001|'; then
    say "importing and activating the bench workflow"
    "$d/run.sh" import:workflow --input="$HERE/n8n/wf.json"
    "$d/run.sh" update:workflow --id=bench0000000001 --active=true
  fi
  say "n8n ready: $d/run.sh start"
}

case "${PEERS:-nodered,n8n}" in
  *nodered*) nodered ;;
esac
case "${PEERS:-nodered,n8n}" in
  *n8n*) n8n ;;
esac
