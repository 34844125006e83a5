#!/usr/bin/env bash
# Installs what tools/slurm/test_local.sh needs on a fresh Debian machine (as root): Slurm's
# controller, node daemon and client (slurm-wlm) and munge. .ci/run installs the same packages
# with its other system packages.
set -euo pipefail
if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null; then
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
