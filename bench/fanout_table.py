#!/usr/bin/env python3
"""Prints the Markdown tables of SCALE-AND-RESET.md from a ResetFanoutBenchmark JMH JSON result.

    bench/fanout_table.py RESULT.json... [JMH-OUTPUT.txt...]

Results of several runs (e.g. the main benchmarks and the components) are merged.

Per shape and N: sbr and the request paths in ns/op, as the median (sample mode: the median
operation; average-time mode: the median iteration) with the mean +- JMH's 99.9% half-width,
and in ns per function (median / N), the 1 us/function target, the marginal cost per function
from one N to the next ((ns(N) - ns(previous N)) / (N - previous N): constant when the cost
grows linearly), and, when the JMH text output is
given (it has the set-up line with the number of links), the routing-recompute share of sbr:
(links + 2) x routingRepublish / sbr. With -prof gc results it adds bytes allocated per
function (gc.alloc.rate.norm / N).
"""
import json
import math
import re
import sys

TARGET_NS_PER_FUNCTION = 1000.0


def median(r):
    """Sample mode: the median operation (p50). Average-time mode: the median iteration."""
    m = r["primaryMetric"]
    if r["mode"] == "sample":
        return m["scorePercentiles"]["50.0"]
    its = sorted(x for fork in m["rawData"] for x in fork)
    k = len(its)
    return its[k // 2] if k % 2 else (its[k // 2 - 1] + its[k // 2]) / 2


def fmt(score, err):
    if err is None or (isinstance(err, float) and math.isnan(err)):
        return f"{score:,.0f}"
    return f"{score:,.0f} ± {err:,.0f}"


def main(paths):
    results = []
    logs = []
    for path in paths:
        if path.endswith(".json"):
            with open(path) as f:
                results += json.load(f)
        else:
            logs.append(path)
    data = {}
    for r in results:
        name = r["benchmark"].rsplit(".", 1)[1]
        p = r["params"]
        m = r["primaryMetric"]
        err = m.get("scoreError")
        err = float(err) if isinstance(err, (int, float)) and not math.isnan(float(err)) else None
        alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm")
        data[(name, p["shape"], int(p["n"]))] = (median(r), err, alloc["score"] if alloc else None,
                                                 m["score"], r["mode"])
    links = {}
    for log in logs:
        for line in open(log):
            x = re.match(r"fanout-(\w+)-(\d+): \d+ functions below .*, (\d+) links, (\d+) buses", line)
            if x:
                links[(x.group(1).upper(), int(x.group(2)))] = (int(x.group(3)), int(x.group(4)))
    shapes = sorted({k[1] for k in data})
    ns = sorted({k[2] for k in data})
    for shape in shapes:
        print(f"\n#### Shape {shape}\n")
        head = ("| N | links / buses | sbr ns/op: median (mean ± error) | sbr ns/function | target ≤ 1 µs/fn"
                " | marginal ns/function |")
        sep = "|---|---|---|---|---|---|"
        has_alloc = any(data.get(("sbr", shape, n), (0, 0, None))[2] for n in ns)
        if has_alloc:
            head += " sbr B/function |"
            sep += "---|"
        head += " routing share | request ns/function | requestSaveRestore ns/function |"
        sep += "---|---|---|"
        print(head)
        print(sep)
        prev = None
        for n in ns:
            s = data.get(("sbr", shape, n))
            if not s:
                continue
            per = s[0] / n
            growth = "-" if prev is None else f"{(s[0] - prev[0]) / (n - prev[1]):,.0f}"
            prev = (s[0], n)
            verdict = "met" if per <= TARGET_NS_PER_FUNCTION else "**not met**"
            l = links.get((shape, n))
            lb = f"{l[0]} / {l[1]}" if l else "-"
            row = f"| {n} | {lb} | {s[0]:,.0f} ({fmt(s[3], s[1])}) | {per:,.0f} | {verdict} | {growth} |"
            if has_alloc:
                row += f" {s[2] / n:,.0f} |" if s[2] is not None else " - |"
            rr = data.get(("routingRepublish", shape, n))
            share = f"{100 * (l[0] + 2) * rr[3] / s[0]:.0f} %" if l and rr else "-"
            req = data.get(("request", shape, n))
            rsr = data.get(("requestSaveRestore", shape, n))
            row += f" {share} | {req[0] / n:,.0f} |" if req else f" {share} | - |"
            row += f" {rsr[0] / n:,.0f} |" if rsr else " - |"
            print(row)
    comps = ["routingRepublish", "routingRepublishEnumerated", "routingPrototype", "subtree"]
    if any(k[0] in comps for k in data):
        print("\n#### Components (ns/op)\n")
        print("| shape | N | routingRepublish (after reset) | routingRepublishEnumerated"
              " | routingPrototype (enumerated) | prototype speed-up | subtree |")
        print("|---|---|---|---|---|---|---|")
        for shape in shapes:
            for n in ns:
                c = [data.get((x, shape, n)) for x in comps]
                if not any(c):
                    continue
                cells = [fmt(v[3], v[1]) if v else "-" for v in c]
                speed = f"{c[1][3] / c[2][3]:.1f}x" if c[1] and c[2] else "-"
                print(f"| {shape} | {n} | {cells[0]} | {cells[1]} | {cells[2]} | {speed}"
                      f" | {cells[3]} |")
    reqs = ["request", "requestSaveRestore"]
    if any(k[0] in reqs for k in data):
        print("\n#### Request API (ns/op)\n")
        print("| shape | N | request: median (mean ± error) | requestSaveRestore: median (mean ± error) | request / sbr (medians) |")
        print("|---|---|---|---|---|")
        for shape in shapes:
            for n in ns:
                a, b, s = (data.get((x, shape, n)) for x in ["request", "requestSaveRestore", "sbr"])
                if not (a or b):
                    continue
                ratio = f"{a[0] / s[0]:.0f}x" if a and s else "-"
                print(f"| {shape} | {n} | {f'{a[0]:,.0f} ({fmt(a[3], a[1])})' if a else '-'} |"
                      f" {f'{b[0]:,.0f} ({fmt(b[3], b[1])})' if b else '-'} | {ratio} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
