#!/usr/bin/env bash
# Runs a DistTrain cluster of N silo processes on this machine (localhost clustering, or Redis
# membership with --redis, which rehearses the several-machines setup: see deploy/README.md).
#
#   deploy/local-cluster.sh start N [--redis host:port] [--tls-certificate cluster.pfx]
#                                                        build the silo (Release), start N silos
#   deploy/local-cluster.sh stop                          stop exactly the silos started here
#   deploy/local-cluster.sh status                        list them
#
# Silo i listens on BASE_SILO_PORT+i (default 11111+i) and BASE_GATEWAY_PORT+i (default 30000+i),
# and serves its dashboard on 127.0.0.1:BASE_DASHBOARD_PORT+i (default 8080+i; 0: no dashboards); silo 0 is the
# primary (with --redis there is none, and every silo advertises 127.0.0.1; the first is still
# started first). Logs, pid files and job checkpoints go to RUN_DIR (default
# ./run/cluster; checkpoints in RUN_DIR/checkpoints, kept across restarts). DATA_ROOT
# (default ./data) is where the silos look for datasets named by path.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${RUN_DIR:-$ROOT/run/cluster}"
DATA_ROOT="${DATA_ROOT:-$ROOT/data}"
BASE_SILO_PORT="${BASE_SILO_PORT:-11111}"
BASE_GATEWAY_PORT="${BASE_GATEWAY_PORT:-30000}"
BASE_DASHBOARD_PORT="${BASE_DASHBOARD_PORT:-8080}"
SILO_DLL="$ROOT/src/Silo/bin/Release/net10.0/DistTrain.Silo.dll"
START_TIMEOUT="${START_TIMEOUT:-60}"

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Silo i's dashboard port; BASE_DASHBOARD_PORT=0 turns every silo's off (not silo 1 onto port 1).
dashboard_port() { if ((BASE_DASHBOARD_PORT)); then echo $((BASE_DASHBOARD_PORT + $1)); else echo 0; fi; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_port() { # port pidfile log
  local deadline=$((SECONDS + START_TIMEOUT))
  until port_open "$1"; do
    if ! alive "$2"; then echo "silo exited during start-up; last lines of $3:" >&2; tail -n 20 "$3" >&2; return 1; fi
    if ((SECONDS > deadline)); then echo "gateway port $1 not open after ${START_TIMEOUT}s (see $3)" >&2; return 1; fi
    sleep 0.5
  done
}

start() {
  local count="${1:-}"; shift || true
  [[ "$count" =~ ^[1-9][0-9]*$ ]] || usage
  local extra=() redis=0
  while (($#)); do
    case "$1" in
      # Every silo of this script runs here: advertise loopback rather than the host name's address.
      --redis) extra+=(--redis "${2:?--redis needs host:port}" --advertise 127.0.0.1); redis=1; shift 2 ;;
      # Mutual TLS with one cluster certificate (PKCS#12; its password in DISTTRAIN_TLSPASSWORD or DISTTRAIN_TLS_PASSWORD).
      --tls-certificate) extra+=(--tls-certificate "$(realpath "${2:?--tls-certificate needs a .pfx file}")"); shift 2 ;;
      *) echo "unknown option $1" >&2; usage ;;
    esac
  done
  mkdir -p "$RUN_DIR"
  for pidfile in "$RUN_DIR"/silo-*.pid; do
    if alive "$pidfile"; then echo "a cluster is already running from $RUN_DIR (stop it first)" >&2; exit 1; fi
    rm -f "$pidfile"
  done

  echo "building the silo (Release)..."
  dotnet build "$ROOT/src/Silo/Silo.csproj" -c Release -nologo -v q >"$RUN_DIR/build.log" 2>&1 \
    || { tail -n 30 "$RUN_DIR/build.log" >&2; exit 1; }

  for ((i = 0; i < count; i++)); do
    local silo_port=$((BASE_SILO_PORT + i)) gateway_port=$((BASE_GATEWAY_PORT + i))
    local log="$RUN_DIR/silo-$i.log" pidfile="$RUN_DIR/silo-$i.pid"
    local args=(--silo-port "$silo_port" --gateway-port "$gateway_port" --data-root "$DATA_ROOT"
      --dashboard-port "$(dashboard_port "$i")" --checkpoints "$RUN_DIR/checkpoints" "${extra[@]}")
    ((i == 0 || redis)) || args+=(--primary "127.0.0.1:$BASE_SILO_PORT")
    nohup dotnet "$SILO_DLL" "${args[@]}" >"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    # The primary must be up before the others can join it.
    if ((i == 0)); then wait_for_port "$gateway_port" "$pidfile" "$log"; fi
  done
  for ((i = 1; i < count; i++)); do
    wait_for_port $((BASE_GATEWAY_PORT + i)) "$RUN_DIR/silo-$i.pid" "$RUN_DIR/silo-$i.log"
  done
  status
  local gateways=()
  for ((i = 0; i < count; i++)); do gateways+=("localhost:$((BASE_GATEWAY_PORT + i))"); done
  echo "gateways: $(IFS=,; echo "${gateways[*]}")"
}

stop() {
  local any=0
  for pidfile in "$RUN_DIR"/silo-*.pid; do
    [[ -f "$pidfile" ]] || continue
    any=1
    local pid; pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
      echo "stopped $(basename "$pidfile" .pid) (pid $pid)"
    fi
    rm -f "$pidfile"
  done
  ((any)) || echo "no silos recorded in $RUN_DIR"
}

status() {
  local any=0
  for pidfile in "$RUN_DIR"/silo-*.pid; do
    [[ -f "$pidfile" ]] || continue
    any=1
    local name i; name="$(basename "$pidfile" .pid)"; i="${name#silo-}"
    if alive "$pidfile"; then
      echo "$name pid $(cat "$pidfile") running  silo :$((BASE_SILO_PORT + i)) gateway :$((BASE_GATEWAY_PORT + i)) dashboard $( ((BASE_DASHBOARD_PORT)) && echo "http://127.0.0.1:$(dashboard_port "$i")/" || echo off)"
    else
      echo "$name pid $(cat "$pidfile") DEAD (see $RUN_DIR/$name.log)"
    fi
  done
  ((any)) || echo "no silos recorded in $RUN_DIR"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
