#!/usr/bin/env bash
# The load generator's targets (issue 7), each run against two server builds in the same
# session, alternating, so the comparison survives a noisy machine:
#
#   bench/load-suite.sh NAME BASELINE_JAR [ROUNDS]
#
# NAME            results go to bench/results/load-suite/NAME/
# BASELINE_JAR    a benchmarks.jar built from the baseline tree (e.g. the previous release:
#                 git worktree add /tmp/base REV && (cd /tmp/base && mvn -q -B package
#                 -DskipTests -pl bench -am) && cp /tmp/base/bench/target/benchmarks.jar ...)
# ROUNDS          how many times each pair runs (default 2)
#
# The current tree's jar is bench/target/benchmarks.jar (built first when stale, as load.sh
# does). Each scenario below is one target of the issue; bench/load_table.py prints the table.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
[[ $# -ge 2 ]] || { sed -n 2,15p "$0" >&2; exit 2; }
name="$1"; base_jar="$(realpath "$2")"; rounds="${3:-2}"
out="$here/results/load-suite/$name"
mkdir -p "$out"
"$here/load.sh" --help > /dev/null   # builds the current jar when stale
jar="$here/target/benchmarks.jar"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"

scenarios=(
  "unary-k64|config-unary --hierarchies 100 --concurrency 64"
  "batch-1024x4|config-batch --hierarchies 100 --batch-size 1024 --depth 4"
  "storm-h1000-k64|reset-storm --hierarchies 1000 --time-scale 0 --concurrency 64 --mode try"
  "inflight-10k-ts1|reset-storm --hierarchies 1000 --time-scale 1 --concurrency 10000 --mode wait --duration 20"
)
for round in $(seq 1 "$rounds"); do
  for s in "${scenarios[@]}"; do
    label="${s%%|*}"; args="${s#*|}"
    for side in main base; do
      j="$jar"; [[ $side == base ]] && j="$base_jar"
      echo "== round $round: $label ($side) load $(cut -d' ' -f1 /proc/loadavg)" >&2
      # shellcheck disable=SC2086
      "$java" ${LOAD_JAVA_OPTS:--Xmx4g} -cp "$j" io.pciefarm.bench.load.LoadGenerator $args \
        --progress 0 --out "$out/$label-$side-$round" > "$out/$label-$side-$round.log" 2>&1 \
        || echo "   failed: see $out/$label-$side-$round.log" >&2
    done
  done
done
"$here/load_table.py" "$out"/*.json > "$out/table.md"
echo "table: ${out#"$root/"}/table.md" >&2
