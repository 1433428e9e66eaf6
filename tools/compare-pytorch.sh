#!/usr/bin/env bash
# Side-by-side throughput of DistTrain and PyTorch on this machine, alternating the two so that
# both see the same load. Prints each run and the ratio DistTrain / PyTorch per network.
#
#   tools/compare-pytorch.sh [rounds] [--ddp] [--dense]
#
# Needs PyTorch for Debian's python3 (apt-get install -y python3-torch libopenblas0-openmp) and the
# reference script ../shared/bench/pytorch_mlp.py (or PYTORCH_BENCH=path/to/pytorch_mlp.py).
# With --ddp it also compares `bench --workers 2` (one embedded silo, its epochs alternated with
# single-process ones) against PyTorch DDP (gloo, 2 processes). With --dense DistTrain multiplies
# the input's all-zero columns too, as PyTorch does (by default its first layer skips them).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3 ddp= dense=
for arg in "$@"; do
  case "$arg" in
    --ddp) ddp=1 ;;
    --dense) dense=--dense ;;
    [0-9]*) rounds=$arg ;;
    *) echo "unknown argument: $arg (expected [rounds] [--ddp] [--dense])" >&2; exit 2 ;;
  esac
done
script=${PYTORCH_BENCH:-../shared/bench/pytorch_mlp.py}
[ -f "$script" ] || { echo "PyTorch reference script not found at $script (set PYTORCH_BENCH)" >&2; exit 2; }
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "PyTorch missing: apt-get install -y python3-torch libopenblas0-openmp" >&2; exit 2; }

dotnet build src/Client -c Release -v q -nologo > /dev/null
disttrain() { dotnet src/Client/bin/Release/net10.0/disttrain.dll "$@"; }
pytorch() { (cd "$(dirname "$script")" && env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 "$(basename "$script")" --data "$OLDPWD/data/mnist" "$@"); }

for round in $(seq 1 "$rounds"); do
  echo "# round $round"
  sleep 3 # let the previous run's processes (PyTorch DDP spawns two) finish exiting
  ours=$(disttrain bench --epochs 5 ${ddp:+--workers 2} $dense --json)
  sleep 3
  theirs=$(pytorch --models seed,wide --batches 64,256 --modes st2${ddp:+,ddp2} 2>&1 | grep -E '^(seed|wide) ')
  echo "$theirs" | sed 's/^/  pytorch  /'
  python3 - "$ours" "$theirs" "$ddp" <<'PY'
import json, sys
ours = json.loads(sys.argv[1]); theirs = sys.argv[2].splitlines(); ddp = sys.argv[3]
torch = {}
for line in theirs:
    f = line.split()
    torch[(f[0], int(f[1]), f[2])] = float(f[5])
name = {"784-16-16-10": "seed", "784-256-256-10": "wide"}
for r in ours["results"]:
    key = (name[r["model"]], r["batch"], "st2")
    print(f"  disttrain {r['model']:>15} batch {r['batch']:>3}: {r['samplesPerSecond']:>11,.0f} samples/s, {r['gflops']:6.1f} GFLOP/s"
          f"  | pytorch {torch.get(key, float('nan')):>9,.0f}  ratio {r['samplesPerSecond'] / torch.get(key, float('nan')):.2f}x")
for r in ours.get("cluster", []) if ddp else []:
    key = (name[r["model"]], r["batch"], "ddp2")
    print(f"  2 workers {r['model']:>15} batch {r['batch']:>3}: {r['samplesPerSecond']:>11,.0f} samples/s, {r['vsSingleProcess']:.2f}x one process"
          f"  | pytorch DDP {torch.get(key, float('nan')):>9,.0f}  ratio {r['samplesPerSecond'] / torch.get(key, float('nan')):.2f}x")
PY
done
