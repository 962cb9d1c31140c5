#!/usr/bin/env bash
# Runs every test: lint, type-check, unit and property tests, and integration tests against a real
# Docker Engine, etcd and Redis that this script starts on loopback with throwaway data directories.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
prepare_machine
install_packages "${TEST_PACKAGES[@]}"

WORK=$(mktemp -d /tmp/eru-test.XXXXXX)
PIDS=()
cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
  # dockerd leaves mounts in its exec root (netns/default) when it is stopped: unmount them, deepest first.
  # (No mount there is fine: grep finding nothing must not fail the run under set -e and pipefail.)
  { findmnt -rn -o TARGET | grep "^$WORK/" || true; } | sort -r | while read -r target; do umount -l "$target" || true; done
  rm -rf "$WORK" || log "could not remove $WORK entirely"
  exit $status
}
trap cleanup EXIT

log "lint"
(cd "$ERU_ROOT" && npx eslint --max-warnings 0 src test bench harness packages/client/src)

ETCD_PORT=$(free_port); ETCD_PEER=$(free_port)
log "starting etcd on 127.0.0.1:$ETCD_PORT"
etcd --name eru-test --data-dir "$WORK/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
  --initial-cluster "eru-test=http://127.0.0.1:$ETCD_PEER" >"$WORK/etcd.log" 2>&1 &
PIDS+=($!)

REDIS_PORT=$(free_port)
log "starting redis on 127.0.0.1:$REDIS_PORT"
mkdir -p "$WORK/redis"
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$WORK/redis" --save '' --appendonly no \
  --daemonize no >"$WORK/redis.log" 2>&1 &
PIDS+=($!)

ensure_dockerd "$WORK/docker" "$WORK/dockerd.log"
[ -n "$STARTED_DOCKERD_PID" ] && PIDS+=("$STARTED_DOCKERD_PID")
ensure_busybox_image

wait_for etcd 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health" -o /dev/null || { cat "$WORK/etcd.log" >&2; die "etcd did not start"; }
wait_for redis 30 bash -c "redis-cli -h 127.0.0.1 -p $REDIS_PORT ping 2>/dev/null | grep -q PONG" \
  || { cat "$WORK/redis.log" >&2; die "redis did not start"; }

export ERU_TEST_ETCD="127.0.0.1:$ETCD_PORT"
export ERU_TEST_REDIS="redis://127.0.0.1:$REDIS_PORT"
export ERU_TEST_DOCKER="unix:///var/run/docker.sock"
export ERU_TEST_WORK="$WORK"

log "tests"
cd "$ERU_ROOT"
# A test that hangs fails after 10 minutes instead of holding CI until its limit.
node --test --test-concurrency=1 --test-timeout=600000 dist/test/unit dist/test/integration
