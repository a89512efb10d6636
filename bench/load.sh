#!/usr/bin/env bash
# The load generator: drives a pciefarm server over gRPC with one scenario and writes
# bench/results/load-SCENARIO-TIMESTAMP.json and .svg (or --out PREFIX).
#
#   bench/load.sh SCENARIO [options]        bench/load.sh --help for the options
#
#   bench/load.sh config-batch --batch-size 4096 --depth 4            # embedded server
#   bench/load.sh reset-storm --hierarchies 1000 --time-scale 0 --concurrency 64
#   bench/load.sh config-unary --server 127.0.0.1:50051              # a running server
#
# Builds bench/target/benchmarks.jar first when it is missing or stale (as run.sh does). JVM
# options: LOAD_JAVA_OPTS (default -Xmx4g). Uses $JAVA_HOME/bin/java when JAVA_HOME is set.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
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
cd "$root"
# shellcheck disable=SC2086
exec "$java" ${LOAD_JAVA_OPTS:--Xmx4g} -cp "$jar" io.pciefarm.bench.load.LoadGenerator "$@"
