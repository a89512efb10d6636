#!/usr/bin/env python3
"""Where a JFR recording's CPU samples are: self (top frame) and inclusive shares by method.

    bench/jfr_top.py PROFILE.jfr [N]

Runs `jfr print --events jdk.ExecutionSample` (the JDK's jfr tool on the PATH) and counts each
sample's frames; the inclusive list keeps pciefarm methods (and a few JDK ones that matter here).
Used for the "routing share" of SCALE-AND-RESET.md: the inclusive share of Routing.compute in a
JMH -prof jfr recording of ResetFanoutBenchmark.sbr.
"""
import re, subprocess, sys, collections
path = sys.argv[1]; n = int(sys.argv[2]) if len(sys.argv) > 2 else 25
out = subprocess.run(["jfr", "print", "--stack-depth", "64", "--events", "jdk.ExecutionSample", path],
                     capture_output=True, text=True).stdout
selfc = collections.Counter(); incl = collections.Counter(); total = 0
for ev in out.split("jdk.ExecutionSample")[1:]:
    m = re.search(r"stackTrace = \[(.*?)\n\s*\]", ev, re.S)
    if not m: continue
    frames = [re.sub(r"\s+line:.*$", "", l.strip()) for l in m.group(1).strip().split("\n") if l.strip() and l.strip() != "..."]
    if not frames: continue
    total += 1
    selfc[frames[0]] += 1
    for f in set(frames): incl[f] += 1
print(f"{total} samples")
print("== self ==")
for f, c in selfc.most_common(n): print(f"{100*c/total:5.1f}%  {f}")
print("== inclusive ==")
for f, c in [x for x in incl.most_common() if x[0].startswith(("io.pciefarm","java.util.stream.ReferencePipeline.toArray","java.util.ArrayList","java.lang.String"))][:n]: print(f"{100*c/total:5.1f}%  {f}")
