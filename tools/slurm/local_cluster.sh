#!/usr/bin/env bash
# A single-node SLURM cluster on localhost, from Debian's packages, for testing the workflow's
# SLURM profile. No systemd here: every daemon is started by hand and its PID recorded, and
# `down` stops exactly those (never a daemon this script did not start).
#
#   tools/slurm/local_cluster.sh install   # apt-get the packages (root)
#   tools/slurm/local_cluster.sh up        # munge, mariadb, slurmdbd, slurmctld, slurmd
#   tools/slurm/local_cluster.sh status    # sinfo + the daemons we started
#   tools/slurm/local_cluster.sh down      # stop what `up` started, remove its state
#
# State (configs, spool, logs, PIDs) lives in $SLURM_LOCAL_DIR (default /tmp/digitstudy-slurm).
set -euo pipefail

STATE=${SLURM_LOCAL_DIR:-/tmp/digitstudy-slurm}
PIDS=$STATE/pids
PACKAGES="munge slurm-client slurmctld slurmd slurmdbd mariadb-server"
CLUSTER=digitstudy

log() { echo "[local-slurm] $*" >&2; }

install_packages() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v slurmdbd >/dev/null \
    && command -v sbatch >/dev/null && command -v munged >/dev/null && command -v mariadbd >/dev/null; then
    log "packages already installed"
    return
  fi
  log "installing $PACKAGES"
  apt-get update -qq
  # policy-rc.d: Debian's maintainer scripts must not try to start services (no systemd here).
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
  rm -f /usr/sbin/policy-rc.d
}

remember() {  # name pid
  echo "$1 $2" >> "$PIDS"
}

wait_for() {  # description, command...
  local what=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  log "timed out waiting for $what"
  return 1
}

write_configs() {
  local cpus mem
  cpus=$(nproc)
  # Leave 2 GB to the system; without DefMemPerCPU a job would take the node's whole memory.
  mem=$(( $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) - 2048 ))
  mkdir -p "$STATE"/{etc,spool/ctld,spool/d,log,run,munge}
  chmod 755 "$STATE"  # munged and mariadbd run as their own users
  cat > "$STATE/etc/slurm.conf" <<EOF
ClusterName=$CLUSTER
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$STATE/spool/ctld
SlurmdSpoolDir=$STATE/spool/d
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=16819
JobAcctGatherType=jobacct_gather/linux
AccountingStoreFlags=job_comment
JobCompType=jobcomp/none
MinJobAge=600
NodeName=localhost CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=main Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  cat > "$STATE/etc/slurmdbd.conf" <<EOF
AuthType=auth/munge
DbdHost=localhost
DbdPort=16819
SlurmUser=root
PidFile=$STATE/run/slurmdbd.pid
LogFile=$STATE/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageLoc=slurm_acct_db
StorageUser=root
StoragePort=3306
EOF
  chmod 600 "$STATE/etc/slurmdbd.conf"
}

start_munge() {
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
  fi
  chown munge:munge /etc/munge/munge.key 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
  # munged runs as the munge user; socket and PID file in our state dir.
  local socket=$STATE/munge/munge.socket
  chown munge:munge "$STATE/munge" 2>/dev/null || true
  sudo_munge=(runuser -u munge --)
  "${sudo_munge[@]}" munged --socket="$socket" --pid-file="$STATE/munge/munged.pid" --log-file="$STATE/munge/munged.log" \
    --seed-file="$STATE/munge/munged.seed" --force
  wait_for munged test -s "$STATE/munge/munged.pid"
  remember munged "$(cat "$STATE/munge/munged.pid")"
  # Every SLURM daemon and client below talks to this munged.
  ln -sf "$socket" /run/munge/munge.socket.2
}

start_mariadb() {
  # MariaDB runs as the mysql user: its data, socket, PID and log live in a directory it owns.
  local dir=$STATE/mysql
  mkdir -p "$dir/data"
  chown -R mysql:mysql "$dir"
  mariadb-install-db --user=mysql --datadir="$dir/data" --auth-root-authentication-method=socket >/dev/null
  mariadbd --user=mysql --datadir="$dir/data" --socket="$dir/mysqld.sock" --port=3306 \
    --bind-address=127.0.0.1 --pid-file="$dir/mysqld.pid" --log-error="$dir/mysqld.log" >> "$dir/console.log" 2>&1 &
  remember mariadbd $!
  wait_for mariadb mariadb --socket="$dir/mysqld.sock" -e "select 1"
  # slurmdbd connects as root through the socket at its default location.
  mkdir -p /run/mysqld && ln -sf "$dir/mysqld.sock" /run/mysqld/mysqld.sock
}

up() {
  if [ -s "$PIDS" ]; then
    log "already up (see $PIDS); run down first"
    exit 1
  fi
  if [ -e /etc/slurm/slurm.conf ] && [ ! -L /etc/slurm/slurm.conf ]; then
    log "/etc/slurm/slurm.conf exists: this machine has its own SLURM configuration; not touching it"
    exit 1
  fi
  write_configs
  export SLURM_CONF=$STATE/etc/slurm.conf
  # srun inside a batch job does not see the submitter's SLURM_CONF: it reads the default
  # location. A symlink, removed again by `down`.
  mkdir -p /etc/slurm && ln -sfn "$SLURM_CONF" /etc/slurm/slurm.conf
  start_munge
  start_mariadb
  slurmdbd  # reads slurmdbd.conf next to $SLURM_CONF
  wait_for slurmdbd test -s "$STATE/run/slurmdbd.pid"
  remember slurmdbd "$(cat "$STATE/run/slurmdbd.pid")"
  wait_for "slurmdbd to answer" sacctmgr -n list cluster
  sacctmgr -i add cluster "$CLUSTER" >/dev/null || true
  slurmctld -f "$SLURM_CONF"
  wait_for slurmctld test -s "$STATE/run/slurmctld.pid"
  remember slurmctld "$(cat "$STATE/run/slurmctld.pid")"
  sacctmgr -i add account digitstudy Cluster="$CLUSTER" >/dev/null || true
  sacctmgr -i add user root Account=digitstudy Cluster="$CLUSTER" >/dev/null || true
  # The host name is not resolvable as a node name here: run the node as "localhost".
  slurmd -f "$SLURM_CONF" -N localhost
  wait_for slurmd test -s "$STATE/run/slurmd.pid"
  remember slurmd "$(cat "$STATE/run/slurmd.pid")"
  wait_for "node idle" sh -c "sinfo -h -N -o '%t' | grep -qx idle"
  log "up: $(sinfo -h -o '%P %D %t %c CPUs %m MB')"
  log "export SLURM_CONF=$SLURM_CONF"
}

down() {
  if [ ! -f "$PIDS" ]; then
    log "nothing to stop"
    return
  fi
  # Jobs first (their slurmstepd processes belong to this cluster), then the daemons in reverse
  # start order; only the PIDs this script recorded.
  if [ -f "$STATE/etc/slurm.conf" ]; then
    SLURM_CONF=$STATE/etc/slurm.conf scancel --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 1 20); do
      [ -z "$(SLURM_CONF=$STATE/etc/slurm.conf squeue -h 2>/dev/null)" ] && break
      sleep 1
    done
  fi
  tac "$PIDS" | while read -r name pid; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -9 "$pid" 2>/dev/null || true
      log "stopped $name ($pid)"
    fi
  done
  pkill -f "slurmstepd: \[" 2>/dev/null || true  # steps of cancelled jobs, if any outlived slurmd
  if [ "$(readlink /etc/slurm/slurm.conf 2>/dev/null)" = "$STATE/etc/slurm.conf" ]; then
    rm -f /etc/slurm/slurm.conf
  fi
  rm -f /run/munge/munge.socket.2 /run/mysqld/mysqld.sock
  rm -rf "$STATE"
}

status() {
  export SLURM_CONF=$STATE/etc/slurm.conf
  sinfo || true
  [ -f "$PIDS" ] && while read -r name pid; do
    if kill -0 "$pid" 2>/dev/null; then echo "$name $pid running"; else echo "$name $pid gone"; fi
  done < "$PIDS"
}

# Every PID recorded by `up` that is still alive (used by the test to prove a clean teardown).
alive() {
  [ -f "$PIDS" ] || return 0
  while read -r name pid; do kill -0 "$pid" 2>/dev/null && echo "$name $pid"; done < "$PIDS" || true
}

case "${1:-}" in
  install) install_packages ;;
  up) up ;;
  down) down ;;
  status) status ;;
  alive) alive ;;
  *) echo "usage: $0 install|up|status|down" >&2; exit 2 ;;
esac
