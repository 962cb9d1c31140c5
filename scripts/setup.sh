#!/usr/bin/env bash
# One command from a fresh Debian machine (as root) to a working single-machine Eru:
# installs what is missing, builds, starts Docker and an Eru core on the embedded store,
# adds the local Docker daemon as a node of pod "demo", and deploys a demo web app on it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
prepare_machine

ERU_HOME=${ERU_HOME:-$HOME/.eru}
export ERU_HOME
mkdir -p "$ERU_HOME" && chmod 700 "$ERU_HOME"   # tokens, the store, the agent token: the operator's alone
ERU_PORT=${ERU_PORT:-5001}
ERU_URL="http://127.0.0.1:$ERU_PORT"

ensure_dockerd /var/lib/eru/docker /var/log/eru-dockerd.log

# The `eru` command on PATH.
ln -sf "$ERU_ROOT/dist/src/cli/main.js" /usr/local/bin/eru

# An admin token, and a client config so that `eru ...` works without flags.
if [ ! -s "$ERU_HOME/token" ]; then
  (umask 077; node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))' >"$ERU_HOME/token")
fi
(umask 077; printf '{"url":"%s","token":"%s","pod":"demo"}\n' "$ERU_URL" "$(cat "$ERU_HOME/token")" >"$ERU_HOME/config.json")

# (Re)start the core so it runs the code just built.
if [ -s "$ERU_HOME/core.pid" ] && kill -0 "$(cat "$ERU_HOME/core.pid")" 2>/dev/null; then
  log "stopping the running core"
  kill "$(cat "$ERU_HOME/core.pid")"
  wait_for core-exit 20 bash -c "! kill -0 $(cat "$ERU_HOME/core.pid") 2>/dev/null"
fi
log "starting eru core on $ERU_URL (store: embedded:$ERU_HOME/eru.db, log: $ERU_HOME/core.log)"
nohup eru core --store "embedded:$ERU_HOME/eru.db" --listen "127.0.0.1:$ERU_PORT" \
  --token-file "$ERU_HOME/token" >>"$ERU_HOME/core.log" 2>&1 &
echo $! >"$ERU_HOME/core.pid"
wait_for core 30 curl -sf "$ERU_URL/healthz" -o /dev/null || { tail -20 "$ERU_HOME/core.log" >&2; die "the core did not start"; }

log "pod demo with the local Docker daemon as node 'local'"
eru pod show demo >/dev/null 2>&1 || eru pod add demo --sharebase 100 --desc "single-machine demo"
eru node show local >/dev/null 2>&1 || eru node add demo local --endpoint unix:///var/run/docker.sock
# Nothing can be pulled here: the base image is made from Debian's busybox-static on every node of the pod.
eru image base busybox --pod demo

# The node's agent: heartbeat, container status, metrics on 127.0.0.1:9101.
if [ -s "$ERU_HOME/agent.pid" ] && kill -0 "$(cat "$ERU_HOME/agent.pid")" 2>/dev/null; then kill "$(cat "$ERU_HOME/agent.pid")"; sleep 1; fi
log "starting the agent of node local (log: $ERU_HOME/agent.log, metrics: http://127.0.0.1:9101/metrics)"
# Its token in a file only root reads (not on the command line, where `ps` would show it); issued once.
[ -s "$ERU_HOME/agent.token" ] || (umask 077; eru node token local >"$ERU_HOME/agent.token")
nohup eru agent --core "$ERU_URL" --node local --token-file "$ERU_HOME/agent.token" \
  --metrics-listen 127.0.0.1:9101 >>"$ERU_HOME/agent.log" 2>&1 &
echo $! >"$ERU_HOME/agent.pid"

DEMO_PORT=${ERU_DEMO_PORT:-18080}
if ! eru ps --pod demo --app demo | grep -q '^demo_web_'; then
  log "deploying the demo app: a web server pinned to half a core, published on 127.0.0.1:$DEMO_PORT"
  eru deploy --pod demo --app demo --entry web --image local/busybox:1 --count 1 --cpu 0.5 --memory 64MiB \
    --publish "$DEMO_PORT:8080" --restart always -- \
    sh -c 'mkdir -p /www && echo "hello from Eru: $ERU_WORKLOAD on node $ERU_NODE of pod $ERU_POD" > /www/index.html && exec httpd -f -p 8080 -h /www'
fi
wait_for demo 20 curl -sf "http://127.0.0.1:$DEMO_PORT/" -o /dev/null || die "the demo app does not answer on 127.0.0.1:$DEMO_PORT"
log "the demo app answers:"
curl -s "http://127.0.0.1:$DEMO_PORT/"
eru node show local

# The example app: a git repository with an app.yaml, registered, built into hello:SHA7 and deployed.
APP_PORT=${ERU_APP_PORT:-18081}
APP_REPO="$ERU_HOME/apps/hello"
if [ ! -d "$APP_REPO/.git" ]; then
  mkdir -p "$APP_REPO"
  cp "$ERU_ROOT/examples/hello/app.yaml" "$ERU_ROOT/examples/hello/index.html" "$APP_REPO/"
  git -C "$APP_REPO" init -q
  git -C "$APP_REPO" add .
  git -C "$APP_REPO" -c user.email=demo@eru.local -c user.name="Eru demo" commit -qm "hello"
fi
APP_SHA=$(git -C "$APP_REPO" rev-parse --short=7 HEAD)
log "the example app (examples/hello): register, build hello:$APP_SHA, deploy its web entrypoint on 127.0.0.1:$APP_PORT"
eru app register --dir "$APP_REPO"
eru build hello --revision "$APP_SHA" --pod demo
if ! eru ps --pod demo --app hello --entry web | grep -q '^hello_web_'; then
  eru deploy hello --version "$APP_SHA" --entry web --pod demo --cpu 0.2 --memory 32MiB --publish "$APP_PORT:8080"
fi
wait_for example 20 curl -sf "http://127.0.0.1:$APP_PORT/index.html" -o /dev/null || die "the example app does not answer on 127.0.0.1:$APP_PORT"
curl -s "http://127.0.0.1:$APP_PORT/index.html"

log "an offline plan (examples/plan.yaml): where 10 × 1.5 CPU would go on three example nodes"
eru plan "$ERU_ROOT/examples/plan.yaml"

cat <<MSG

Eru is running: core at $ERU_URL, state in $ERU_HOME (token: $ERU_HOME/token).
Demo: curl http://127.0.0.1:$DEMO_PORT/ and http://127.0.0.1:$APP_PORT/   (eru ps; then eru inspect NAME · eru logs NAME)
Apps: eru app versions hello · eru build hello --revision SHA7 --pod demo · eru deploy hello --version SHA7 --entry web --pod demo
Try:  eru deploy --pod demo --app x --image local/busybox:1 --cpu 0.3 --count 2 -- sleep 600
      eru run --pod demo --image local/busybox:1 -- sh -c 'echo hi; exit 3'; echo \$?
      eru capacity --pod demo --cpu 0.5 · eru plan examples/plan.yaml --json
Watch: eru watch    (every change as it happens; try eru rm on the demo in another terminal)
Stop: kill \$(cat $ERU_HOME/agent.pid) \$(cat $ERU_HOME/core.pid)
This core listens on loopback only, over plain HTTP. Before other machines reach it, give teams their
own tokens (eru token add NAME --scope deployer --apps APP) and turn TLS on: README, "Security".
MSG
