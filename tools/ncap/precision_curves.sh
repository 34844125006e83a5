#!/usr/bin/env bash
# f32 against f64 learning: PPO and DDPG (MLP, Tonic's defaults) for the same seeds, one run per
# (algorithm, precision, seed), then the figure and the paired comparison in docs/results/.
#
#   tools/ncap/precision_curves.sh [STEPS] [SEEDS] [RUNS_DIR]     (defaults: 200000 3 runs/precision)
#
# A rerun resumes each unfinished run exactly and skips finished ones.
set -euo pipefail
cd "$(dirname "$0")/../.."
steps="${1:-200000}"
seeds="${2:-3}"
runs="${3:-runs/precision}"
cargo build --release -q -p neurocircuits
cargo build --release -q -p nc-ncap --example precision_curves
for algo in ppo ddpg; do
  for seed in $(seq 0 $((seeds - 1))); do
    for prec in f32 f64; do
      out="$runs/$algo-$prec-s$seed"
      if [ -f "$out/summary.json" ]; then continue; fi
      echo "== $algo $prec seed $seed"
      ./target/release/neurocircuits ncap train --algo "$algo" --model mlp --precision "$prec" \
        --seed "$seed" --steps "$steps" --out "$out"
    done
  done
done
./target/release/examples/precision_curves "$runs" docs/results
