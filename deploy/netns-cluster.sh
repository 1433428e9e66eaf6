#!/usr/bin/env bash
# A multi-host rehearsal on one machine: S silos, each in a Linux network namespace of its own (so
# each is a host of its own to DistTrain: no shared memory between them, the data plane goes over
# TCP), joined by veth pairs to a bridge, links shaped with tc, Redis membership, and a namespace
# for the console. Needs root and iproute2.
#
#   deploy/netns-cluster.sh start S [--rate 10gbit] [--delay 0.1ms]   build, create, start
#   deploy/netns-cluster.sh exec -- CMD...     run CMD (e.g. the console) in the console's namespace,
#                                              with DISTTRAIN_GATEWAY naming the silos' gateways
#   deploy/netns-cluster.sh status             the namespaces and processes it made
#   deploy/netns-cluster.sh stop               stop them and delete every namespace it made
#
# Addresses come from 198.18.0.0/24 (RFC 2544's benchmarking range), only inside namespaces this
# script creates: console 198.18.0.2, Redis 198.18.0.3, silo i 198.18.0.(10+i). Nothing is routed
# anywhere else. --rate shapes every link in both directions with tbf; --delay needs netem, which
# some kernels lack: then the script says so and goes on without it. Logs and pids: RUN_DIR
# (default ./run/netns). DATA_ROOT (default ./data): where silos find datasets named by path.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${RUN_DIR:-$ROOT/run/netns}"
DATA_ROOT="${DATA_ROOT:-$ROOT/data}"
SILO_DLL="$ROOT/src/Silo/bin/Release/net10.0/DistTrain.Silo.dll"
PREFIX="${NETNS_PREFIX:-dt}"   # namespace and interface names start with it
NET="198.18.0"
REDIS_PORT=6390
SILO_PORT=11111
GATEWAY_PORT=30000
START_TIMEOUT="${START_TIMEOUT:-90}"

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
say() { echo "netns-cluster: $*"; }
fail() { echo "netns-cluster: $*" >&2; exit 1; }

ns_bridge="$PREFIX-net"
ns_console="$PREFIX-console"
ns_redis="$PREFIX-redis"
ns_silo() { echo "$PREFIX-silo$1"; }

in_ns() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# A namespace with loopback up and one veth to the bridge, carrying ADDRESS/24.
add_host() { # name address index
  local ns="$1" address="$2" index="$3"
  ip netns add "$ns"
  in_ns "$ns" ip link set lo up
  ip link add "$PREFIX-v$index" type veth peer name "$PREFIX-b$index"
  ip link set "$PREFIX-v$index" netns "$ns"
  ip link set "$PREFIX-b$index" netns "$ns_bridge"
  in_ns "$ns" ip link set "$PREFIX-v$index" name eth0
  in_ns "$ns" ip addr add "$address/24" dev eth0
  in_ns "$ns" ip link set eth0 up
  in_ns "$ns_bridge" ip link set "$PREFIX-b$index" master br0
  in_ns "$ns_bridge" ip link set "$PREFIX-b$index" up
  shape "$ns" eth0
  shape "$ns_bridge" "$PREFIX-b$index"
}

# Egress shaping of one end of a link (both ends shaped: both directions). The delay goes in front
# of the rate when netem exists; tbf alone otherwise.
shape() { # namespace device
  local ns="$1" dev="$2"
  if [[ -n "$DELAY" && "$NETEM" == yes ]]; then
    in_ns "$ns" tc qdisc add dev "$dev" root handle 1: netem delay "$DELAY"
    [[ -n "$RATE" ]] && in_ns "$ns" tc qdisc add dev "$dev" parent 1:1 handle 10: tbf rate "$RATE" burst 1mb latency 50ms
  elif [[ -n "$RATE" ]]; then
    in_ns "$ns" tc qdisc add dev "$dev" root tbf rate "$RATE" burst 1mb latency 50ms
  fi
  return 0
}

wait_for() { # description command...
  local what="$1"; shift
  local deadline=$((SECONDS + START_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { say "gave up waiting for $what after ${START_TIMEOUT}s"; return 1; }
    sleep 0.5
  done
}

gateway_open() { in_ns "$ns_console" bash -c "exec 3<>/dev/tcp/$1/$GATEWAY_PORT" 2>/dev/null; }

start() {
  local count="${1:-}"; shift || true
  [[ "$count" =~ ^[1-9][0-9]?$ ]] && ((count <= 40)) || usage
  RATE="" DELAY=""
  while (($#)); do
    case "$1" in
      --rate) RATE="${2:?--rate needs a rate such as 10gbit}"; shift 2 ;;
      --delay) DELAY="${2:?--delay needs a time such as 0.1ms}"; shift 2 ;;
      *) echo "unknown option $1" >&2; usage ;;
    esac
  done
  [[ "$(id -u)" -eq 0 ]] || fail "needs root (network namespaces)"
  command -v ip >/dev/null && command -v tc >/dev/null || fail "needs iproute2 (apt-get install -y iproute2)"
  command -v redis-server >/dev/null || fail "needs redis-server (apt-get install -y redis-server)"
  ip netns list | grep -q "^$ns_bridge\b" && fail "a rehearsal is already set up ($ns_bridge exists): stop it first"

  NETEM=no
  if [[ -n "$DELAY" ]]; then
    # Probe on a throwaway dummy device inside a throwaway namespace: nothing of the host is touched.
    ip netns add "$PREFIX-probe"
    if in_ns "$PREFIX-probe" ip link add probe0 type dummy 2>/dev/null \
      && in_ns "$PREFIX-probe" tc qdisc add dev probe0 root netem delay 1ms 2>/dev/null; then NETEM=yes; fi
    ip netns del "$PREFIX-probe"
    [[ "$NETEM" == yes ]] || say "this kernel has no netem qdisc: --delay $DELAY is not applied (links get --rate only)"
  fi

  mkdir -p "$RUN_DIR"
  say "building the silo (Release)..."
  dotnet build "$ROOT/src/Silo/Silo.csproj" -c Release -nologo -v q >"$RUN_DIR/build.log" 2>&1 \
    || { tail -n 30 "$RUN_DIR/build.log" >&2; exit 1; }

  trap 'say "start failed; tearing down"; stop >/dev/null 2>&1 || true' ERR
  ip netns add "$ns_bridge"
  in_ns "$ns_bridge" ip link set lo up
  in_ns "$ns_bridge" ip link add br0 type bridge
  in_ns "$ns_bridge" ip link set br0 up
  add_host "$ns_console" "$NET.2" 0
  add_host "$ns_redis" "$NET.3" 1
  for ((i = 0; i < count; i++)); do add_host "$(ns_silo "$i")" "$NET.$((10 + i))" $((10 + i)); done
  echo "$count" >"$RUN_DIR/silos"

  # Redis refuses clients from other addresses in its protected mode unless it has a password.
  local password; password="$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  echo "$password" >"$RUN_DIR/redis.password"
  chmod 600 "$RUN_DIR/redis.password"
  in_ns "$ns_redis" redis-server --bind "$NET.3" --port "$REDIS_PORT" --requirepass "$password" --save "" --appendonly no \
    --daemonize no >"$RUN_DIR/redis.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/redis.pid"
  wait_for "redis" in_ns "$ns_redis" redis-cli -h "$NET.3" -p "$REDIS_PORT" -a "$password" --no-auth-warning ping

  for ((i = 0; i < count; i++)); do
    local address="$NET.$((10 + i))"
    in_ns "$(ns_silo "$i")" dotnet "$SILO_DLL" --silo-port "$SILO_PORT" --gateway-port "$GATEWAY_PORT" \
      --redis "$NET.3:$REDIS_PORT,password=$password" --advertise "$address" --data-root "$DATA_ROOT" \
      --checkpoints "$RUN_DIR/checkpoints" >"$RUN_DIR/silo-$i.log" 2>&1 </dev/null &
    echo $! >"$RUN_DIR/silo-$i.pid"
  done
  for ((i = 0; i < count; i++)); do
    wait_for "silo $i's gateway" gateway_open "$NET.$((10 + i))" || { tail -n 20 "$RUN_DIR/silo-$i.log" >&2; false; }
  done
  trap - ERR
  status
  say "links: ${RATE:-unshaped}${DELAY:+, delay $DELAY ($([[ $NETEM == yes ]] && echo applied || echo not applied))}"
  say "gateways: $(gateways)"
}

gateways() {
  local count list=()
  count="$(cat "$RUN_DIR/silos" 2>/dev/null || echo 0)"
  for ((i = 0; i < count; i++)); do list+=("$NET.$((10 + i)):$GATEWAY_PORT"); done
  (IFS=,; echo "${list[*]}")
}

run_in_console() {
  [[ "${1:-}" == "--" ]] && shift
  (($#)) || usage
  ip netns list | grep -q "^$ns_console\b" || fail "no rehearsal is running (start one first)"
  in_ns "$ns_console" env DISTTRAIN_GATEWAY="$(gateways)" "$@"
}

stop() {
  for pidfile in "$RUN_DIR"/silo-*.pid "$RUN_DIR"/redis.pid; do
    [[ -f "$pidfile" ]] || continue
    local pid; pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -KILL "$pid" 2>/dev/null || true
      say "stopped $(basename "$pidfile" .pid) (pid $pid)"
    fi
    rm -f "$pidfile"
  done
  # Anything still running in our namespaces (a console left behind by exec) goes too.
  for ns in $(ip netns list | awk '{print $1}' | grep "^$PREFIX-" || true); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns"
    say "deleted namespace $ns"
  done
  rm -f "$RUN_DIR/silos"
}

status() {
  local any=0
  for ns in $(ip netns list | awk '{print $1}' | grep "^$PREFIX-" || true); do any=1; echo "namespace $ns: $(ip netns pids "$ns" | wc -l) process(es)"; done
  for pidfile in "$RUN_DIR"/silo-*.pid "$RUN_DIR"/redis.pid; do
    [[ -f "$pidfile" ]] || continue
    if alive "$pidfile"; then echo "$(basename "$pidfile" .pid) pid $(cat "$pidfile") running"; else echo "$(basename "$pidfile" .pid) DEAD"; fi
  done
  ((any)) || echo "no rehearsal is set up"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  exec) shift; run_in_console "$@" ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
