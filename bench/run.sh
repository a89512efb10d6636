#!/usr/bin/env bash
# Runs the JMH benchmarks and writes the results as JSON under bench/results/.
#
#   bench/run.sh [--name NAME] [JMH arguments...]
#
# Builds bench/target/benchmarks.jar first when it is missing or older than the bench or
# server sources. Uses $JAVA_HOME/bin/java when JAVA_HOME is set, else java on the PATH.
# The result file is bench/results/NAME.json (default: config-space-<timestamp>); pass your
# own -rff to put it elsewhere. Every other argument goes to JMH unchanged, e.g.
#   bench/run.sh                                   # everything, with the defaults in the code
#   bench/run.sh --name quiet -f 3 -wi 5 -i 10     # a longer run on a quiet machine
#   bench/run.sh --name alloc -prof gc 'read'      # allocation per op (gc.alloc.rate.norm)
#   bench/run.sh -l                                # list the benchmarks
# bench/table.py bench/results/NAME.json prints the Markdown table BENCHMARKS.md quotes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
name="config-space-$(date +%Y%m%d-%H%M%S)"
if [[ "${1:-}" == "--name" ]]; then
  [[ $# -ge 2 ]] || { echo "usage: bench/run.sh [--name NAME] [JMH arguments...]" >&2; exit 2; }
  name="$2"
  shift 2
fi

jar="$here/target/benchmarks.jar"
stale=""
if [[ -f "$jar" ]]; then
  stale="$(find "$root/pom.xml" "$root/server/pom.xml" "$root/server/src/main" \
    "$here/pom.xml" "$here/src/main" -newer "$jar" -type f -print -quit)"
fi
if [[ ! -f "$jar" || -n "$stale" ]]; then
  echo "building $jar" >&2
  (cd "$root" && mvn -q -B package -DskipTests -pl bench -am)
fi

java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
result=(-rf json -rff "$here/results/$name.json")
for arg in "$@"; do
  case "$arg" in
    -rff|-rf|-l|-lp|-lprof|-h) result=() ;;
  esac
done
mkdir -p "$here/results"
"$java" -jar "$jar" "${result[@]}" "$@"
if [[ ${#result[@]} -gt 0 && -f "$here/results/$name.json" ]]; then
  echo "results: ${here#"$root/"}/results/$name.json" >&2
fi
