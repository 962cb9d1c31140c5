# Shared by scripts/setup.sh and scripts/test.sh: install what is missing, start services on loopback.
# shellcheck shell=bash

ERU_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEBIAN_PACKAGES=(docker.io etcd-server redis-server busybox-static docker-registry debootstrap git iproute2 curl ca-certificates)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

require_root() {
  [ "$(id -u)" = 0 ] || die "run as root: Docker, apt-get and the daemons need it"
}

# What the tests drive besides: tmux (eru exec -it), promtool (metrics), Chromium (the dashboard) and
# certutil (a test CA Chromium trusts), openssl (test certificates).
TEST_PACKAGES=(tmux prometheus chromium libnss3-tools openssl moosefs-master moosefs-chunkserver moosefs-client moosefs-cli)

install_packages() { # args: the packages (default: DEBIAN_PACKAGES)
  local wanted=("$@") missing=()
  [ ${#wanted[@]} -gt 0 ] || wanted=("${DEBIAN_PACKAGES[@]}")
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    # Debian's packages start their own services (redis, etcd, prometheus on 0.0.0.0) through their
    # init scripts; Eru starts its own on loopback, so none may start while installing.
    local policy=/usr/sbin/policy-rc.d added=''
    if [ ! -e $policy ]; then printf '#!/bin/sh\nexit 101\n' >$policy && chmod +x $policy && added=1; fi
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    [ -z "$added" ] || rm -f $policy
  fi
  command -v node >/dev/null || die "Node.js 20 is needed (node not found)"
}

install_node_modules() {
  cd "$ERU_ROOT"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

build() {
  cd "$ERU_ROOT"
  log "building"
  npm run build --silent
  chmod +x dist/src/cli/main.js
}

# Root, the Debian packages, the npm packages, a fresh build: what both commands start with.
prepare_machine() {
  require_root
  install_packages
  install_node_modules
  build
}

docker_answers() { # $1: socket path
  curl -sf --max-time 3 --unix-socket "$1" http://localhost/_ping >/dev/null 2>&1
}

wait_for() { # $1: what, $2: seconds, rest: command
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# Starts dockerd on /var/run/docker.sock unless one answers there. Sets STARTED_DOCKERD_PID when it starts one.
ensure_dockerd() { # $1: data root for a daemon we start, $2: log file
  STARTED_DOCKERD_PID=
  if docker_answers /var/run/docker.sock; then return 0; fi
  log "starting dockerd (data in $1)"
  mkdir -p "$1"
  # containerd is started by dockerd itself when none runs.
  dockerd --data-root "$1/data" --exec-root "$1/exec" --pidfile "$1/dockerd.pid" \
    -H unix:///var/run/docker.sock >"$2" 2>&1 &
  STARTED_DOCKERD_PID=$!
  wait_for dockerd 60 docker_answers /var/run/docker.sock || { tail -20 "$2" >&2; die "dockerd did not start (log: $2)"; }
}

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Makes local/busybox:1 from Debian's busybox-static on the local daemon (`eru image base`): no image can be pulled here.
ensure_busybox_image() {
  node "$ERU_ROOT/dist/src/cli/main.js" image base busybox --docker unix:///var/run/docker.sock
}
