#!/usr/bin/env python3
"""Prints load generator results (bench/load.sh ... JSON files) as one Markdown table.

    bench/load_table.py bench/results/load-*.json

One row per file and operation kind (sub-kinds such as reset.flr are left out unless -a):
the options that matter for the scenario, throughput, latency percentiles, status codes, the
load average at the start and end of the run, and the consistency check's verdict.
"""
import json
import sys


def dur(us):
    if us is None:
        return "-"
    if us >= 1e6:
        return f"{us / 1e6:.2f} s"
    if us >= 1e3:
        return f"{us / 1e3:.2f} ms"
    return f"{us:.0f} µs"


def rate(v):
    if v >= 1e6:
        return f"{v / 1e6:.2f} M"
    if v >= 1e4:
        return f"{v / 1e3:.1f} k"
    return f"{v:.0f}"


def setup(r):
    o = r["options"]
    s = o["scenario"]
    parts = []
    if o.get("hierarchies") is not None:
        parts.append(f"H={o['hierarchies']} ts={o['time_scale']}")
    if s in ("config-batch", "mixed"):
        parts.append(f"batch {o['batch_size']}×depth {o['depth']}×{o['streams']} stream, "
                     f"{o['wire']}")
    if s in ("config-unary", "reset-storm", "mixed", "hotplug-churn"):
        parts.append(f"K={o['concurrency']}")
    if s in ("reset-storm", "mixed"):
        mix = ",".join(f"{k}={v}" for k, v in o["mix"].items() if v)
        parts.append(f"{o['mode']} {mix} contended {o['contended']}")
    if s.startswith("config") and o.get("read_fraction", 1) < 1:
        parts.append(f"reads {o['read_fraction']}")
    parts.append(f"conn {r['target']['connections']}, client loops {o['client_event_loops']}"
                 + (f", server loops {o['server_event_loops']}"
                    if o.get("server_event_loops") else ""))
    return "; ".join(parts)


def main(paths, all_kinds):
    print("| run | scenario | set-up | operation | throughput | p50 | p99 | p99.9 | max |"
          " status codes | cores used | CPU µs per unit | at that cost on all cores |"
          " load start→end | consistent |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for p in paths:
        with open(p) as f:
            r = json.load(f)
        name = p.rsplit("/", 1)[-1].removesuffix(".json")
        for op in r["operations"]:
            if op["operations"] == 0:
                continue
            n = op["name"]
            if not all_kinds and n.count(".") and not (
                    n.startswith("config.") or n.endswith(".cycle")) and n != "reset":
                continue
            if not all_kinds and n in ("config.read", "config.write") and any(
                    o["name"] == "config.unary" for o in r["operations"]):
                continue
            lat = op["latency_us"]
            codes = dict(op["status_codes"])
            codes.update({"access " + k: v for k, v in op["unit_errors"].items()})
            code_s = ", ".join(f"{k} {v}" for k, v in codes.items())
            m = r["machine"]
            cpu = r.get("cpu") or {}
            head = op is r["operations"][0] and cpu.get("cpu_us_per_unit") is not None
            cpu_s = (f"{cpu['cores_used']:.2f} of {cpu['cores']} | "
                     f"{cpu['cpu_us_per_unit']:.3f} | "
                     f"{rate(cpu['units_per_s_at_this_cost_on_all_cores'])} {cpu['unit']}/s"
                     if head else "- | - | -")
            print(f"| {name} | {r['options']['scenario']} | {setup(r)} | {n} | "
                  f"{rate(op['units_per_s'])} {op['unit']}/s | {dur(lat['p50'])} | "
                  f"{dur(lat['p99'])} | {dur(lat['p99_9'])} | {dur(lat['max'])} | {code_s} | "
                  f"{cpu_s} | "
                  f"{m['load_start']:.2f}→{m['load_end']:.2f} | "
                  f"{'yes' if r['consistency']['ok'] else 'NO'} |")


if __name__ == "__main__":
    args = sys.argv[1:]
    all_kinds = "-a" in args
    args = [a for a in args if a != "-a"]
    if not args:
        sys.exit(__doc__)
    main(args, all_kinds)
