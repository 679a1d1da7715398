#!/usr/bin/env bash
# fio-compare.sh: one job file under fio and under nvmf-chaos bench, on the
# same device, figures side by side (a Markdown table: per reported entry
# and direction, IOPS, bandwidth, clat p50/p99, and ours/fio ratios).
#
#   scripts/fio-compare.sh JOBFILE DEVICE
#
# DEVICE is a path both can open: a block device (a loop device serves) or
# a file. fio gets filename=DEVICE added to [global] of a copy of JOBFILE;
# bench gets --target file://DEVICE?engine=io_uring. fio runs first. The
# job file's ${VARS} come from the environment of this script.
#   BIN  nvmf-chaos binary (default bin/nvmf-chaos)
#   FIO  fio binary (default fio)
set -euo pipefail

job=${1:?usage: $0 JOBFILE DEVICE}
dev=${2:?usage: $0 JOBFILE DEVICE}
bin=${BIN:-bin/nvmf-chaos}
fio=${FIO:-fio}
[ -x "$bin" ] || { echo "build $bin first (make build)" >&2; exit 2; }
command -v "$fio" >/dev/null || { echo "$fio not found (apt-get install fio)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

awk -v dev="$dev" '{ print } /^\[global\]/ { print "filename=" dev }' "$job" >"$work/job.fio"
grep -q "^filename=" "$work/job.fio" || { echo "$job: no [global] section to add filename= to" >&2; exit 2; }
"$fio" --output-format=json --output="$work/fio.json" "$work/job.fio" >/dev/null
"$bin" bench --fio "$job" --target "file://$dev?engine=io_uring" --output-format json >"$work/ours.json"

python3 - "$work/fio.json" "$work/ours.json" "$("$fio" --version)" <<'PY'
import json, sys
fio, ours = (json.load(open(p)) for p in sys.argv[1:3])
print(f"| entry (group) | dir | IOPS {sys.argv[3]} | IOPS nvmf-chaos | ratio | MiB/s fio | MiB/s nvmf-chaos | clat p50 µs fio / ours | clat p99 µs fio / ours |")
print("|---|---|---|---|---|---|---|---|---|")
def pct(d, p):
    return d["clat_ns"].get("percentile", {}).get(p, 0) / 1000
for a, b in zip(fio["jobs"], ours["jobs"]):
    name = f'{a["jobname"]} ({a["groupid"]})'
    for d in ("read", "write", "trim"):
        x, y = a.get(d, {}), b.get(d, {})
        if not x.get("total_ios") and not y.get("total_ios"):
            continue
        r = y["iops"] / x["iops"] if x.get("iops") else float("nan")
        print(f'| {name} | {d} | {x["iops"]:.0f} | {y["iops"]:.0f} | {r:.2f} | {x["bw"]/1024:.1f} | {y["bw"]/1024:.1f} | '
              f'{pct(x,"50.000000"):.0f} / {pct(y,"50.000000"):.0f} | {pct(x,"99.000000"):.0f} / {pct(y,"99.000000"):.0f} |')
    sx, sy = a.get("sync", {}), b.get("sync", {})
    if sx.get("total_ios") or sy.get("total_ios"):
        print(f'| {name} | sync | {sx.get("total_ios", 0)} syncs | {sy.get("total_ios", 0)} syncs | | | | '
              f'{sx["lat_ns"].get("percentile", {}).get("50.000000", 0)/1000:.0f} / {sy["lat_ns"].get("percentile", {}).get("50.000000", 0)/1000:.0f} | |')
PY
