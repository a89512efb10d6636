#!/usr/bin/env bash
# Every JMH benchmark in the jar (config space, routing, batch codec, and whatever else is in
# bench/: reset fan-out, topology scale) in ONE run: one JSON file, then the Markdown tables.
#
#   bench/all.sh [--name NAME] [JMH arguments...]
#
# Short by default: -f 1 -wi 2 -w 500ms -i 3 -r 500ms unless you give that option yourself
# (about 5 minutes on 2 cores for the config, routing and codec benchmarks). Writes
#   bench/results/NAME.json   the JMH result (every benchmark)
#   bench/results/NAME.md     bench/table.py's tables, with the machine and load average
# A regex among the arguments selects benchmarks, as with run.sh. JMH refuses to start while
# another JMH run holds /tmp/jmh.lock (someone else benchmarking on this machine): wait, do not
# force it, or both runs measure each other.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
name="all-$(date +%Y%m%d-%H%M%S)"
if [[ "${1:-}" == "--name" ]]; then
  [[ $# -ge 2 ]] || { echo "usage: bench/all.sh [--name NAME] [JMH arguments...]" >&2; exit 2; }
  name="$2"
  shift 2
fi

args=("$@")
has() {
  local a
  for a in "${args[@]+"${args[@]}"}"; do
    [[ "$a" == "$1" ]] && return 0
  done
  return 1
}
defaults=()
has -f || defaults+=(-f 1)
has -wi || defaults+=(-wi 2)
has -w || defaults+=(-w 500ms)
has -i || defaults+=(-i 3)
has -r || defaults+=(-r 500ms)

load() { cut -d' ' -f1-3 /proc/loadavg; }
start_load="$(load)"
started="$(date -u +%FT%TZ)"
"$here/run.sh" --name "$name" "${defaults[@]+"${defaults[@]}"}" "${args[@]+"${args[@]}"}"
end_load="$(load)"

md="$here/results/$name.md"
{
  echo "# $name"
  echo
  echo "- started $started, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "- load average (1, 5, 15 min): $start_load at the start, $end_load at the end"
  echo "- arguments: ${defaults[*]+"${defaults[*]}"} ${args[*]+"${args[*]}"}"
  echo
  "$here/table.py" "$here/results/$name.json"
} > "$md"
cat "$md"
echo "results: bench/results/$name.json, bench/results/$name.md" >&2
