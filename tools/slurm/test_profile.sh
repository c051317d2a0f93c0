#!/usr/bin/env bash
# The SLURM profile, tested on a real (single-node, localhost) SLURM cluster:
#   1. install SLURM, munge, slurmdbd and MariaDB from Debian's packages if missing, start them;
#   2. run the .test configuration locally, and again through `--profile profiles/slurm`;
#   3. check that the jobs went through SLURM (sacct) and that both runs' results are equal;
#   4. stop only the daemons started in step 1 and check that none is left running.
#
# Usage (root, from anywhere): tools/slurm/test_profile.sh [PYTHON]
# PYTHON defaults to .venv/bin/python (make setup). The .test config reads its fixtures in .test/data.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
PYTHON=${1:-$REPO/.venv/bin/python}
CLUSTER="$REPO/tools/slurm/local_cluster.sh"
WORK=${SLURM_TEST_DIR:-$(mktemp -d /tmp/digitstudy-slurm-test.XXXXXX)}
chmod 755 "$WORK"  # munged and mariadbd run as their own users and must reach their state below
export SLURM_LOCAL_DIR=$WORK/cluster
export SLURM_CONF=$SLURM_LOCAL_DIR/etc/slurm.conf

log() { echo "[slurm-test] $*" >&2; }

teardown() {
  local status=$?
  "$CLUSTER" down || true
  rm -rf "$WORK"
  exit $status
}
trap teardown EXIT

started=$(date +%s)
"$CLUSTER" install
"$CLUSTER" up

# The .test config with its data paths made absolute (it is written relative to the repo root).
"$PYTHON" - "$REPO" "$WORK/config.yaml" <<'EOF'
import sys, yaml
from pathlib import Path
repo, out = Path(sys.argv[1]), sys.argv[2]
config = yaml.safe_load((repo / ".test/config.yaml").read_text())
for key in ("usps", "semeion"):
    config["writers"][key]["source"] = str((repo / config["writers"][key]["source"]).resolve())
config["fonts"]["source"] = str((repo / config["fonts"]["source"]).resolve())
config["ex3"]["cut_sheet"]["photos"] = [str((repo / p).resolve()) for p in config["ex3"]["cut_sheet"]["photos"]]
Path(out).write_text(yaml.safe_dump(config))
EOF

snakemake() { (cd "$REPO" && "$PYTHON" -m snakemake -s "$REPO/Snakefile" --configfile "$WORK/config.yaml" "$@"); }

log "local run"
t0=$(date +%s)
snakemake --cores 2 -d "$WORK/local" > "$WORK/local.log" 2>&1 || { tail -50 "$WORK/local.log"; exit 1; }
log "local run: $(( $(date +%s) - t0 )) s"

log "SLURM run (profiles/slurm)"
t0=$(date +%s)
snakemake --profile profiles/slurm -d "$WORK/slurm" \
  --slurm-init-seconds-before-status-checks 2 --slurm-logdir "$WORK/slurm-logs" --slurm-keep-successful-logs \
  > "$WORK/slurm.log" 2>&1 || { tail -80 "$WORK/slurm.log"; exit 1; }
log "SLURM run: $(( $(date +%s) - t0 )) s"

# 1. The jobs really went through SLURM: every non-local rule's job is in the accounting database.
submitted=$(grep -c "has been submitted with SLURM jobid" "$WORK/slurm.log" || true)
accounted=$(sacct -X -n -P -S now-1day -o JobID,JobName,State | grep -c "|COMPLETED$" || true)
log "submitted by snakemake: $submitted; COMPLETED in sacct: $accounted"
sacct -X -S now-1day -o JobID,Comment%60,AllocCPUS,ReqMem,Elapsed,State | head -60 >&2
if [ "$submitted" -lt 1 ] || [ "$accounted" -lt "$submitted" ]; then
  log "FAIL: jobs did not go through SLURM"
  exit 1
fi
for rule in ex1_train ex2_train ex3_train; do
  # The executor names jobs by run id and puts the rule in the comment.
  if ! sacct -X -n -P -S now-1day -o Comment,State | grep "rule_$rule" | grep -q COMPLETED; then
    log "FAIL: no COMPLETED $rule job in sacct"
    exit 1
  fi
done

# 2. Same results as the local run.
(cd "$REPO" && "$PYTHON" -m tools.compare_runs "$WORK/local" "$WORK/slurm") >&2 || { log "FAIL: results differ"; exit 1; }

# 3. Teardown leaves nothing running (the EXIT trap runs `down` again, harmlessly).
left=$("$CLUSTER" alive || true)
"$CLUSTER" down
for pid in $(echo "$left" | awk '{print $2}'); do
  if kill -0 "$pid" 2>/dev/null; then log "FAIL: daemon $pid still running"; exit 1; fi
done
log "PASS in $(( $(date +%s) - started )) s: $submitted jobs through SLURM, results equal to the local run, daemons stopped"
