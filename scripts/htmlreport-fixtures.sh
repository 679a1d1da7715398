#!/usr/bin/env bash
# Regenerates reports/htmlreport/testdata/*.results.json from real short runs
# of nvmf-chaos on this machine (embedded targets on loopback, no root
# needed): the HTML report tests read recorded runs, never hand-written
# numbers. Run it through `make fixtures`; commit the files it writes.
#
#   baseline            built-in baseline, 1 s warmup + 4 s: no fault, passes
#   kill-two-workloads  SIGKILL of the optimized target under two workloads;
#                       a strict recovery SLO fails on purpose (red verdict)
#   ana-short           planned ANA failover: path ana-change events, passes
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-bin/nvmf-chaos}
DATA=reports/htmlreport/testdata
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go build -o "$BIN" ./cmd/nvmf-chaos

# run NAME SCENARIO [FLAGS...]: a run whose SLO fails exits 1, which is
# expected for kill-two-workloads; anything else (2: could not run) stops.
run() {
  local name=$1 scenario=$2
  shift 2
  local rc=0
  "$BIN" run "$scenario" --out "$tmp/$name" --seed 42 --quiet "$@" >/dev/null || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "fixtures: $name could not run (exit $rc)" >&2
    exit "$rc"
  fi
  cp "$tmp/$name"/*/results.json "$DATA/$name.results.json"
  echo "fixtures: $DATA/$name.results.json ($(wc -c <"$DATA/$name.results.json") bytes, exit $rc)"
}

run baseline baseline --warmup 1s --duration 4s
run kill-two-workloads "$DATA/scenarios/kill-two-workloads.yaml"
run ana-short "$DATA/scenarios/ana-short.yaml"
