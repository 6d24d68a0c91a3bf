#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, for trying the SLURM profile (and for CI).
#
#   bash tools/slurm_cluster.sh install      # Debian's slurm-wlm and munge (as root, or with sudo)
#   bash tools/slurm_cluster.sh start [DIR]  # munged, slurmctld and slurmd; prints what to export
#   bash tools/slurm_cluster.sh stop [DIR]   # stops exactly the daemons that 'start' started, by PID
#
# The configuration goes where every SLURM command and job step looks for it, /etc/slurm/slurm.conf
# (an existing one not written here is left alone, and 'start' stops). DIR (default
# /tmp/sar2ndvi-slurm) holds the daemons' state, logs and PID files. The cluster is one node,
# "localhost", with this machine's CPUs and memory and no GPU, one partition "main", and no
# accounting (no slurmdbd: the SLURM profile asks squeue for job states).
set -euo pipefail

action="${1:-}"
dir="${2:-/tmp/sar2ndvi-slurm}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

wait_for() {  # wait_for SECONDS COMMAND...: retry COMMAND until it succeeds
  local seconds="$1"
  shift
  for _ in $(seq "$((seconds * 5))"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  "$@"
}

case "$action" in
install)
  if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
    $SUDO apt-get update
    $SUDO apt-get install -y --no-install-recommends slurm-wlm munge
  fi
  ;;
start)
  conf=/etc/slurm/slurm.conf
  marker="# single-node cluster of sar2ndvi's tools/slurm_cluster.sh"
  if [ -f "$conf" ] && ! grep -qF "$marker" "$conf"; then
    echo "$conf exists and was not written by $0: not replacing it" >&2
    exit 1
  fi
  mkdir -p "$dir"/{state,spool,log,run}
  cpus="$(nproc)"
  memory_mb="$(awk '/MemTotal/ {print int($2 / 1024 * 0.85)}' /proc/meminfo)"
  $SUDO mkdir -p /etc/slurm
  $SUDO tee "$conf" >/dev/null <<EOF
$marker
ClusterName=sar2ndvi
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# A job that asks for more than any node has is refused at submission instead of pending forever.
EnforcePartLimits=ALL
NodeName=localhost CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=main Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  $SUDO mkdir -p /run/munge
  $SUDO chown munge:munge /run/munge
  # munged runs as its own user, in the foreground, so that its PID is the one recorded here.
  $SUDO runuser -u munge -- /usr/sbin/munged --foreground >"$dir/log/munged.log" 2>&1 &
  echo $! >"$dir/run/munged.started"
  wait_for 10 munge -n
  $SUDO /usr/sbin/slurmctld -D -i >"$dir/log/slurmctld.out" 2>&1 &
  echo $! >"$dir/run/slurmctld.started"
  $SUDO /usr/sbin/slurmd -D -N localhost >"$dir/log/slurmd.out" 2>&1 &
  echo $! >"$dir/run/slurmd.started"
  wait_for 30 bash -c "sinfo --noheader --states=idle,mixed,allocated --format=%N | grep -q localhost"
  sinfo
  ;;
stop)
  for daemon in slurmd slurmctld munged; do
    pid_file="$dir/run/$daemon.started"
    if [ -f "$pid_file" ]; then
      pid="$(cat "$pid_file")"
      # the recorded PID is the sudo/runuser wrapper or the daemon itself: stop the daemon below it too
      for child in $(pgrep -P "$pid" 2>/dev/null || true) "$pid"; do
        $SUDO kill "$child" 2>/dev/null || true
      done
      for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      rm -f "$pid_file"
      echo "stopped $daemon ($pid)"
    fi
  done
  ;;
*)
  echo "usage: $0 install | start [DIR] | stop [DIR]" >&2
  exit 2
  ;;
esac
