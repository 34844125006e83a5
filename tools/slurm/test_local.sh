#!/usr/bin/env bash
# Tests tools/slurm/submit.sh against a real single-node Slurm: starts munged, slurmctld and
# slurmd on this machine (a private configuration in a temporary folder), submits a CI-sized
# ablation sweep as a job array of 2 shards plus its merge job, waits, and checks that the
# merged result is byte for byte the result of the same sweep run unsharded. Stops the daemons
# it started. Needs root and tools/slurm/install_ci.sh.
#   tools/slurm/test_local.sh [path of the neurocircuits CLI; default target/release/neurocircuits]
set -euo pipefail
cd "$(dirname "$0")/../.."
cli=$(realpath "${1:-target/release/neurocircuits}")
[ -x "$cli" ] || { echo "test_local.sh: no CLI at $cli (cargo build --release first)" >&2; exit 1; }
for c in munged slurmctld slurmd sbatch sinfo; do
  command -v "$c" >/dev/null || { echo "test_local.sh: $c missing: run tools/slurm/install_ci.sh" >&2; exit 1; }
done

work=$(mktemp -d /tmp/nc-slurm-test.XXXXXX)
pids=()
cleanup() {
  local rc=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ $rc -ne 0 ]; then
    echo "test_local.sh failed; logs in $work" >&2
    tail -n 20 "$work"/*.log "$work"/out/slurm-*.out 2>/dev/null >&2 || true
  fi
  exit $rc
}
trap cleanup EXIT

# munge with a private key and socket
mkdir -p "$work/munge"
chmod 700 "$work/munge"
dd if=/dev/urandom bs=1 count=1024 of="$work/munge/key" 2>/dev/null
chmod 400 "$work/munge/key"
sock=$work/munge/munge.socket
munged --force --key-file="$work/munge/key" --socket="$sock" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/munged.log" --seed-file="$work/munge/seed"
sleep 1
pids+=("$(cat "$work/munge/munged.pid")")

host=$(hostname -s)
cpus=$(nproc)
mkdir -p "$work/state" "$work/spool" "$work/out"
export SLURM_CONF=$work/slurm.conf
cat > "$SLURM_CONF" <<CONF
ClusterName=nc-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -c -f "$SLURM_CONF"
sleep 1
pids+=("$(cat "$work/slurmctld.pid")")
slurmd -f "$SLURM_CONF"
sleep 1
pids+=("$(cat "$work/slurmd.pid")")
for _ in $(seq 60); do
  state=$(sinfo -h -o %t 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 1
done
[ "$state" = idle ] || { echo "the node never became idle (state: $state)" >&2; exit 1; }

# a CI-sized sweep: 11 ablation units of 8,000 ES steps, 1 seed; 1 CPU per task so both
# shards run at once on a 2-core machine
export NEUROCIRCUITS=$cli PRESET=quick NCAP_ARGS="--seeds 1 --steps 8000"
out=$work/out
tools/slurm/submit.sh ablations "$out" 2 --cpus-per-task=1 | tee "$work/submit.txt"
merge=$(sed -n 's/.*merge \([0-9]*\).*/\1/p' "$work/submit.txt")
for _ in $(seq 600); do
  [ -z "$(squeue -h 2>/dev/null)" ] && break
  # a failed shard leaves the merge job waiting for ever
  if squeue -h -o %r | grep -q DependencyNeverSatisfied; then
    echo "a shard failed; the merge job cannot run" >&2
    cat "$out"/slurm-*.out >&2
    exit 1
  fi
  sleep 1
done
[ -z "$(squeue -h)" ] || { echo "jobs still queued after 10 minutes" >&2; squeue >&2; exit 1; }
[ -f "$out/merged/ablations.csv" ] || { echo "merge job $merge left no $out/merged/ablations.csv" >&2; exit 1; }
for i in 0 1; do
  [ -d "$out/shard-$i/units" ] || { echo "shard $i ran no units" >&2; exit 1; }
done

# the same sweep unsharded gives the same bytes
"$cli" ncap ablations --preset quick --seeds 1 --steps 8000 --out "$work/whole" >/dev/null 2>&1
cmp "$out/merged/ablations.csv" "$work/whole/ablations.csv"
cmp "$out/merged/claims.json" "$work/whole/claims.json"
echo "slurm test: 2 shards ran as a job array, merged after, equal to the unsharded sweep"
