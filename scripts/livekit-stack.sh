#!/usr/bin/env bash
# LiveKit's real stack for the e2e tests: redis, livekit-server and livekit-sip, inside network namespaces this script
# makes, so no test traffic can reach any address outside them.
#
#   install   Debian packages (redis, sipp, sox, opus/soxr headers, iproute2) and the two Go binaries, pinned
#   up        namespaces + redis + livekit-server + livekit-sip, each checked ready; logs in $LK_STACK_STATE/logs
#   down      stops them and removes the namespaces
#   status    what runs
#   test      `up` unless it is up, run the e2e suite inside the namespace, `down` again if this run brought it up
#   exec CMD  runs CMD inside the stack's namespace (as the tests do)
#
# The network: namespace lke2e-srv holds the stack, the tests' callers and the sipp phones, on 10.77.0.1 (veth); the
# agent's worker runs in lke2e-agent on 10.77.0.2, the other end of the veth pair, so its link can be cut and brought
# back. libwebrtc ignores loopback interfaces, hence veth addresses rather than 127.0.0.1. Namespaces need root:
# without it, run `livekit-server --dev` on loopback by hand (README, "The real stack"); this script refuses.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# Versions. livekit-sip v1.11.0 (the version the notes name) is not served by this machine kind's Go module proxy
# (403 for every tag after v1.8.0, and for the version list `go install` reads), so it is built from a pinned tools
# module (stack/go/livekit-sip: go.mod + go.sum) with `go build`; v1.8.0 is the newest tag served.
LIVEKIT_SERVER_VERSION="v1.13.5"
LIVEKIT_SIP_VERSION="v1.8.0"
SRV_NS="lke2e-srv"
AGENT_NS="lke2e-agent"
SRV_IP="10.77.0.1"
AGENT_IP="10.77.0.2"
LK_STACK_STATE="${LK_STACK_STATE:-${ROOT}/.stack}"
LOGS="${LK_STACK_STATE}/logs"
RUN="${LK_STACK_STATE}/run"

# Where the binaries go: a directory on PATH (the tests look them up there, and fail naming the one missing).
if [[ -z "${LK_STACK_BIN:-}" ]]; then
  if [[ -w /usr/local/bin ]]; then LK_STACK_BIN=/usr/local/bin; else LK_STACK_BIN="${HOME}/.local/bin"; fi
fi

log() { printf '[livekit-stack] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
need_root() { [[ "$(id -u)" == 0 ]] || die "$1 needs root (network namespaces); see README, 'The real stack'"; }
in_srv() { ip netns exec "$SRV_NS" "$@"; }

installed_version() { # binary, module → the module's version built into it (go version -m), or nothing
  local bin; bin="$(command -v "$1" 2>/dev/null)" || return 0
  go version -m "$bin" 2>/dev/null | awk -v m="$2" '($1 == "mod" || $1 == "dep") && $2 == m { print $3; exit }'
}

cmd_install() {
  local apt_pkgs=(redis-server sip-tester sox pkg-config libopus-dev libopusfile-dev libsoxr-dev gcc iproute2 curl)
  local missing=()
  for p in "${apt_pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  if ((${#missing[@]})); then
    need_root "installing ${missing[*]}"
    log "apt: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  command -v go >/dev/null || die "go is not on PATH (this stack builds livekit-server and livekit-sip with Go >= 1.26)"
  mkdir -p "$LK_STACK_BIN"

  if [[ "$(installed_version livekit-server github.com/livekit/livekit-server)" == "$LIVEKIT_SERVER_VERSION" ]]; then
    log "livekit-server ${LIVEKIT_SERVER_VERSION} already installed"
  else
    log "building livekit-server ${LIVEKIT_SERVER_VERSION} (a cold build takes minutes on 2 cores; Go's caches keep it)"
    local tmp; tmp="$(mktemp -d)"
    GOBIN="$tmp" go install "github.com/livekit/livekit-server/cmd/server@${LIVEKIT_SERVER_VERSION}"
    install -m 0755 "$tmp/server" "$LK_STACK_BIN/livekit-server"
    rm -rf "$tmp"
  fi

  if [[ "$(installed_version livekit-sip github.com/livekit/sip)" == "$LIVEKIT_SIP_VERSION" ]]; then
    log "livekit-sip ${LIVEKIT_SIP_VERSION} already installed"
  else
    log "building livekit-sip ${LIVEKIT_SIP_VERSION} (cgo: opus, soxr)"
    (cd "$ROOT/stack/go/livekit-sip" && grep -q "github.com/livekit/sip ${LIVEKIT_SIP_VERSION}" go.mod \
      || die "stack/go/livekit-sip/go.mod does not pin livekit/sip ${LIVEKIT_SIP_VERSION}"
      CGO_ENABLED=1 GOFLAGS=-mod=mod go build -trimpath -o "$LK_STACK_BIN/livekit-sip" github.com/livekit/sip/cmd/livekit-sip)
  fi
  log "installed in ${LK_STACK_BIN}: livekit-server $(installed_version livekit-server github.com/livekit/livekit-server), livekit-sip $(installed_version livekit-sip github.com/livekit/sip); sipp: $(command -v sipp)"
}

require_bins() {
  local b
  for b in livekit-server livekit-sip redis-server redis-cli sipp sox ip; do
    command -v "$b" >/dev/null 2>&1 || die "$b is not on PATH: run \`npm run stack:install\` (and put ${LK_STACK_BIN} on PATH)"
  done
}

netns_up() {
  ip netns list | grep -qw "$SRV_NS" || ip netns add "$SRV_NS"
  ip netns list | grep -qw "$AGENT_NS" || ip netns add "$AGENT_NS"
  ip -n "$SRV_NS" link set lo up
  ip -n "$AGENT_NS" link set lo up
  if ! ip -n "$SRV_NS" link show lk-srv >/dev/null 2>&1; then
    ip link add lk-srv netns "$SRV_NS" type veth peer name lk-agent netns "$AGENT_NS"
    ip -n "$SRV_NS" addr add "$SRV_IP/24" dev lk-srv
    ip -n "$AGENT_NS" addr add "$AGENT_IP/24" dev lk-agent
  fi
  ip -n "$SRV_NS" link set lk-srv up
  ip -n "$AGENT_NS" link set lk-agent up
  # Neither namespace has a route anywhere but 10.77.0.0/24: nothing can leave.
}

wait_ready() { # name, seconds, command...
  local name="$1" secs="$2"; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$name not ready after ${secs}s; log: ${LOGS}/${name}.log"
    sleep 0.2
  done
  log "$name ready"
}

start_daemon() { # name, command...
  local name="$1"; shift
  : >"${LOGS}/${name}.log"
  # setsid: its own process group, so `down` stops it and its children, and a test run's signals do not.
  ip netns exec "$SRV_NS" setsid "$@" >>"${LOGS}/${name}.log" 2>&1 </dev/null &
  echo $! >"${RUN}/${name}.pid"
}

is_up() { [[ -f "${RUN}/livekit-server.pid" ]] && kill -0 "$(cat "${RUN}/livekit-server.pid")" 2>/dev/null; }

cmd_up() {
  need_root "stack:up"
  require_bins
  if is_up; then log "already up (logs: ${LOGS})"; return 0; fi
  mkdir -p "$LOGS" "$RUN"
  netns_up
  start_daemon redis redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no
  wait_ready redis 20 in_srv redis-cli -h 127.0.0.1 -p 6379 ping
  in_srv redis-cli -h 127.0.0.1 flushall >/dev/null # trunks and dispatch rules live in redis: every run starts clean
  start_daemon livekit-server livekit-server --config "$ROOT/stack/livekit.yaml"
  wait_ready livekit-server 30 in_srv curl -fsS "http://${SRV_IP}:7880/"
  start_daemon livekit-sip livekit-sip --config "$ROOT/stack/sip.yaml"
  wait_ready livekit-sip 30 in_srv curl -fsS "http://127.0.0.1:8090/"
  log "up: ws://${SRV_IP}:7880 (namespace ${SRV_NS}), SIP ${SRV_IP}:5060, agent namespace ${AGENT_NS} (${AGENT_IP}); logs in ${LOGS}"
}

cmd_down() {
  local name pid
  for name in livekit-sip livekit-server redis; do
    [[ -f "${RUN}/${name}.pid" ]] || continue
    pid="$(cat "${RUN}/${name}.pid")"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "${RUN}/${name}.pid"
  done
  # Anything else left in the namespaces (a phone, a worker of a killed test run) goes with them.
  for ns in "$SRV_NS" "$AGENT_NS"; do
    if ip netns list 2>/dev/null | grep -qw "$ns"; then
      ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
      ip netns del "$ns"
    fi
  done
  log "down"
}

cmd_status() {
  local name
  for name in redis livekit-server livekit-sip; do
    if [[ -f "${RUN}/${name}.pid" ]] && kill -0 "$(cat "${RUN}/${name}.pid")" 2>/dev/null; then echo "$name: up"; else echo "$name: down"; fi
  done
}

export_env() {
  export LK_E2E_SRV_NS="$SRV_NS" LK_E2E_AGENT_NS="$AGENT_NS" LK_E2E_SRV_IP="$SRV_IP" LK_E2E_AGENT_IP="$AGENT_IP"
  export LK_E2E_LOGS="$LOGS" LIVEKIT_E2E_URL="ws://${SRV_IP}:7880"
}

cmd_test() {
  need_root "test:e2e"
  require_bins
  local started=0 rc=0
  if ! is_up; then cmd_up; started=1; fi
  export_env
  in_srv env PATH="$PATH" npx vitest run --config "$ROOT/vitest.e2e.config.ts" "$@" || rc=$?
  if ((started)) && [[ -z "${LK_STACK_KEEP:-}" ]]; then cmd_down; fi
  if ((rc)); then log "e2e failed; the stack's logs: ${LOGS}"; fi
  return "$rc"
}

case "${1:-}" in
  install) cmd_install ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  test) shift; cmd_test "$@" ;;
  exec) shift; export_env; in_srv "$@" ;;
  *) echo "usage: $0 install|up|down|status|test [vitest args]|exec CMD..." >&2; exit 2 ;;
esac
