#!/usr/bin/env python3
"""Prints a JMH JSON result as the Markdown tables BENCHMARKS.md quotes.

    bench/table.py bench/results/NAME.json

ConfigSpaceBenchmark first (below), then one table per other benchmark class (see
other_tables): every benchmark X beside its same-run baseline twin (X_sync, X_map or X_raw),
the ratio, and the issue's budgets where one applies.

Pairs every benchmark X with its baseline twin X_sync (group members X_m with X_sync_m),
prints mean +- error (JMH's 99.9% confidence half-width) in ns/op, the ratio baseline / engine
(above 1: the engine is faster), and each row's targets: reads at most 10 ns, writes at most
30 ns, and, with two threads, faster than the baseline. With -prof gc results it adds the
bytes allocated per operation (gc.alloc.rate.norm).
"""
import json
import math
import sys

READ_NS = 10.0
WRITE_NS = 30.0
# Per benchmark (or group member): kind of operation and the latency budget per op.
SINGLE = {
    "readDword": ("read", READ_NS),
    "read4": ("read", READ_NS),
    "read2": ("read", READ_NS),
    "read1": ("read", READ_NS),
    "writeBar": ("write", WRITE_NS),
    "writeCommand": ("write", WRITE_NS),
    "clearStatus": ("write", WRITE_NS),
    # a hardware update and a software write: two updates, two write budgets
    "raiseThenClearStatus": ("2 writes", 2 * WRITE_NS),
}
GROUPS = {"readers", "writersApart", "writersFar", "writersSameDword", "readerWriter"}
# Reference points with neither twin nor target: what one CAS costs on this machine.
FLOORS = {"floorCas", "floorCasSameWord"}


def member_budget(member):
    return READ_NS if "_read" in member else WRITE_NS


def fmt(metric):
    if metric is None:
        return "-"
    score, err = metric["score"], metric["scoreError"]
    if isinstance(err, str) or err is None or math.isnan(float(err)):
        return f"{score:.2f}"
    return f"{score:.2f} ± {float(err):.2f}"


def alloc(entry):
    m = entry["secondaryMetrics"].get("gc.alloc.rate.norm") if entry else None
    if m is None:
        return "-"
    return f"{m['score']:.3f}"


def main(path):
    with open(path) as f:
        everything = json.load(f)
    results = [r for r in everything if ".config.ConfigSpaceBenchmark." in r["benchmark"]]
    others = [r for r in everything if ".config.ConfigSpaceBenchmark." not in r["benchmark"]]
    if results:
        config_table(results)
    if others:
        other_tables(others, header=not results)


def config_table(results):
    by_name = {}
    for r in results:
        short = r["benchmark"].rsplit(".", 1)[1]
        by_name.setdefault(short, []).append(r)
    has_gc = any("gc.alloc.rate.norm" in r["secondaryMetrics"] for r in results)

    first = results[0]
    print(f"JDK {first['jdkVersion']} ({first['vmName']} {first['vmVersion']}), JMH "
          f"{first['jmhVersion']}, forks {first['forks']}, warm-up "
          f"{first['warmupIterations']} x {first['warmupTime']}, measurement "
          f"{first['measurementIterations']} x {first['measurementTime']}, jvmArgs "
          f"{first['jvmArgs'] or 'none'}\n")
    head = ["benchmark", "state", "threads", "engine ns/op", "synchronized ns/op",
            "sync / engine", "target", "verdict"]
    if has_gc:
        head += ["engine B/op", "sync B/op"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")

    missed = []
    for name, entries in by_name.items():
        if name.endswith("_sync"):
            continue
        base = (by_name.get(name + "_sync") or [None])[0]
        for e in entries:
            state = e["params"].get("state", "-") if e.get("params") else "-"
            rows = []
            if name in FLOORS:
                rows.append((name, e["primaryMetric"], None, None, False))
            elif name in GROUPS:
                rows.append((name, e["primaryMetric"], base and base["primaryMetric"],
                             None, True))
                members = [k for k in e["secondaryMetrics"] if not k.startswith("gc.")
                           and k.startswith(name + "_")]
                if len(members) > 1:
                    for k in members:
                        twin = name + "_sync_" + k[len(name) + 1:]
                        rows.append((f"{name}:{k[len(name) + 1:]}", e["secondaryMetrics"][k],
                                     base and base["secondaryMetrics"].get(twin),
                                     member_budget(k), True))
                else:  # one method on every thread: the group score is its score
                    rows[0] = (name, e["primaryMetric"], base and base["primaryMetric"],
                               member_budget(members[0] if members else "_read"), True)
            else:
                kind, budget = SINGLE.get(name, ("?", None))
                rows.append((name, e["primaryMetric"], base and base["primaryMetric"],
                             budget, False))
            for label, eng, syn, budget, two in rows:
                ratio = f"{syn['score'] / eng['score']:.2f}" if syn else "-"
                targets, verdicts = [], []
                if budget is not None:
                    targets.append(f"≤ {budget:g} ns")
                    ok = eng["score"] <= budget
                    verdicts.append("met" if ok else f"MISSED ({eng['score']:.1f} ns)")
                if two and syn:
                    targets.append("< sync")
                    ok = eng["score"] < syn["score"]
                    verdicts.append("met" if ok else "MISSED")
                if any(v.startswith("MISSED") for v in verdicts):
                    missed.append(label if state == "-" else f"{label} [{state}]")
                row = [f"`{label}`", state, str(e["threads"]), fmt(eng), fmt(syn), ratio,
                       ", ".join(targets) or ("reference" if name in FLOORS else "-"),
                       ", ".join(verdicts) or "-"]
                if has_gc:
                    row += [alloc(e) if label == name else "", alloc(base) if label == name
                            else ""]
                print("| " + " | ".join(row) + " |")
    print()
    print("missed: " + (", ".join(missed) if missed else "none"))


# ---- every other benchmark class ----

TWIN_SUFFIXES = ("_sync", "_map", "_raw")
# Budgets of the issue that apply to rows outside ConfigSpaceBenchmark: the whole in-process
# access (farm, routing, readiness, register) measured against the config-space budgets.
OTHER_BUDGETS = {
    "RoutingBenchmark.farmRead": READ_NS,
    "RoutingBenchmark.farmReaders": READ_NS,
    "RoutingBenchmark.farmWrite": WRITE_NS,
}
# Per-element columns: the parameter that counts the elements one operation handles.
PER_ELEMENT = {"BatchCodecBenchmark": "accesses"}


def median_metric(m):
    """The median of the measurement iterations (all forks), with their min and max: on a busy
    machine one preempted iteration moves the mean and its error far more than the median."""
    raw = [x for fork in (m.get("rawData") or []) for x in fork]
    if not raw:
        return {"score": m["score"], "lo": None, "hi": None}
    raw.sort()
    n = len(raw)
    med = raw[n // 2] if n % 2 else (raw[n // 2 - 1] + raw[n // 2]) / 2
    return {"score": med, "lo": raw[0], "hi": raw[-1]}


def fmt_median(m):
    if m is None:
        return "-"
    if m["lo"] is None:
        return f"{m['score']:.2f}"
    return f"{m['score']:.2f} [{m['lo']:.2f}–{m['hi']:.2f}]"


def params_label(e):
    p = e.get("params") or {}
    return ", ".join(f"{k}={v}" for k, v in p.items()) or "-"


def other_tables(results, header=True):
    first = results[0]
    if header:
        print(f"JDK {first['jdkVersion']} ({first['vmName']} {first['vmVersion']}), JMH "
              f"{first['jmhVersion']}, forks {first['forks']}, warm-up "
              f"{first['warmupIterations']} x {first['warmupTime']}, measurement "
              f"{first['measurementIterations']} x {first['measurementTime']}\n")
    by_class = {}
    for r in results:
        cls, name = r["benchmark"].rsplit(".", 2)[-2:]
        by_class.setdefault(cls, {}).setdefault(name, []).append(r)
    missed = []
    for cls, by_name in by_class.items():
        per = PER_ELEMENT.get(cls)
        unit = next(iter(by_name.values()))[0]["primaryMetric"]["scoreUnit"]
        print(f"\n`{cls}`: median of the measurement iterations [min–max], {unit}\n")
        head = ["benchmark", "params", "threads", "median", "baseline median",
                "baseline / score"]
        if per:
            head += [f"ns per {per[:-2] if per.endswith('es') else per}", "baseline ns per"]
        head += ["target", "verdict"]
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join("---" for _ in head) + "|")
        for name, entries in by_name.items():
            if name.endswith(TWIN_SUFFIXES):
                continue
            twin_name = next((name + s for s in TWIN_SUFFIXES if name + s in by_name), None)
            twins = {params_label(t): t for t in by_name.get(twin_name, [])}
            for e in entries:
                label = params_label(e)
                t = twins.get(label)
                rows = [(name, median_metric(e["primaryMetric"]),
                         t and median_metric(t["primaryMetric"]))]
                members = [k for k in e["secondaryMetrics"] if k.startswith(name + "_")]
                for k in members:
                    rows.append((f"{name}:{k[len(name) + 1:]}",
                                 median_metric(e["secondaryMetrics"][k]), None))
                for row_label, m, b in rows:
                    ratio = f"{b['score'] / m['score']:.2f}" if b else "-"
                    row = [f"`{row_label}`", label, str(e["threads"]), fmt_median(m),
                           fmt_median(b), ratio]
                    if per:
                        n = float((e.get("params") or {}).get(per, 1))
                        row += [f"{m['score'] / n:.1f}", f"{b['score'] / n:.1f}" if b else "-"]
                    budget = OTHER_BUDGETS.get(f"{cls}.{name}") if row_label == name else None
                    if budget is not None:
                        ok = m["score"] <= budget
                        row += [f"≤ {budget:g} ns (whole path)",
                                "met" if ok else f"MISSED ({m['score']:.1f} ns)"]
                        if not ok:
                            missed.append(f"{cls}.{row_label}")
                    else:
                        row += ["-", "reference" if not b else "-"]
                    print("| " + " | ".join(row) + " |")
    print()
    print("outside ConfigSpaceBenchmark, missed: " + (", ".join(missed) if missed else "none"))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
