#!/usr/bin/env bash
# Submits an NCAP sweep as a Slurm job array of SHARDS tasks, then a job that merges the shard
# folders once every task has succeeded (afterok). Prints both job ids.
#   tools/slurm/submit.sh EXPERIMENT OUT SHARDS [sbatch options...]
#   tools/slurm/submit.sh curves runs/paper-curves 16 --partition=cpu
# Environment: PRESET (default paper), NCAP_ARGS (extra sweep flags), NEUROCIRCUITS (the CLI;
# default: neurocircuits on PATH).
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,7p' "$0" >&2; exit 2; }
experiment=$1 out=$2 shards=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
cli=${NEUROCIRCUITS:-neurocircuits}
mkdir -p "$out"
array=$(EXPERIMENT=$experiment OUT=$out sbatch --parsable --export=ALL "--array=0-$((shards - 1))" \
  --output="$out/slurm-%A_%a.out" "$@" "$here/ncap_paper.sbatch")
folders=""
for ((i = 0; i < shards; i++)); do folders+=" $out/shard-$i"; done
merge=$(sbatch --parsable --export=ALL --dependency="afterok:${array%%;*}" --job-name=ncap-merge \
  --output="$out/slurm-merge-%j.out" "$@" --wrap="$cli ncap merge --out $out/merged$folders")
echo "array $array, merge $merge: results in $out/merged"
