#!/usr/bin/env python3
"""Independent reference for the manifest's `replicate` unit (lane, sample, blot), with SciPy.

    scripts/replicate-reference.py tests/fixtures/summary_scipy.json > tests/fixtures/replicates_scipy.json

Takes the per-lane fold changes of the three-blot synth study in summary_scipy.json and names
samples: on blots 1 and 2 a condition's two lanes share one sample (technical replicates); on
blot 3 the first lane names a sample of its own and the second names none. For each unit it
forms the replicates as DESIGN.md section 3 defines them, independently of blotquant:
  lane:   every lane is one replicate;
  sample: lanes sharing (blot, sample) are averaged (arithmetic mean of fold changes); a lane
          without a sample is its own;
  blot:   per blot and condition, the mean of its sample means.
and from the replicates computes what summary.csv holds: n, mean, geometric mean, SD, SEM,
CV %, mean log2 fold change and its 95 % CI (Student's t; log2 and fold scale), the two-sided p-value (Welch's t-test
on log2 against the control's replicates when they have spread, else a one-sample t-test
against 0; with `blot` the control's replicates are 1 by construction, so one-sample) and
Benjamini-Hochberg adjusted p-values across the conditions of a target.
"""
import json, math, sys
from collections import defaultdict

import numpy as np
import scipy
from scipy import stats

source = json.load(open(sys.argv[1], encoding="utf-8"))
control = source["control"]
lanes = [dict(l) for l in source["lanes"]]
blots = sorted({l["experiment"] for l in lanes})

# Name samples per blot x condition: the lanes of a condition, left to right.
for l in lanes:
    same = sorted(m["lane"] for m in lanes
                  if m["experiment"] == l["experiment"] and m["condition"] == l["condition"]
                  and m["target"] == l["target"])
    position = same.index(l["lane"])
    blot = blots.index(l["experiment"])
    if blot < 2:
        l["sample"] = f"{l['experiment']}/{l['condition']}"
    else:
        l["sample"] = f"{l['experiment']}/{l['condition']}/solo" if position == 0 else ""


def replicates(unit, target, condition):
    rows = [l for l in lanes if l["target"] == target and l["condition"] == condition]
    if unit == "lane":
        return [l["fold_change"] for l in rows]
    technical = defaultdict(list)
    for l in rows:
        key = (l["experiment"], l["sample"] or f"lane {l['lane']}")
        technical[key].append(l["fold_change"])
    means = {k: float(np.mean(v)) for k, v in technical.items()}
    if unit == "sample":
        return list(means.values())
    per_blot = defaultdict(list)
    for (blot, _), m in means.items():
        per_blot[blot].append(m)
    return [float(np.mean(v)) for v in per_blot.values()]


out = {"scipy_version": scipy.__version__, "numpy_version": np.__version__,
       "control": control, "lanes": lanes, "units": {}}
targets = list(dict.fromkeys(l["target"] for l in lanes))
for unit in ["lane", "sample", "blot"]:
    summary = []
    for target in targets:
        conditions = list(dict.fromkeys(l["condition"] for l in lanes if l["target"] == target))
        ctrl = np.log2(replicates(unit, target, control))
        control_has_spread = unit != "blot" and len(ctrl) >= 2 and np.std(ctrl, ddof=1) > 0
        tested = []
        for condition in conditions:
            fc = np.array(replicates(unit, target, condition))
            lg = np.log2(fc)
            n = len(fc)
            sd = float(np.std(fc, ddof=1))
            half = stats.t.ppf(0.975, n - 1) * np.std(lg, ddof=1) / math.sqrt(n)
            row = {"target": target, "condition": condition, "n": n,
                   "mean_fold_change": float(fc.mean()), "geomean_fold_change": float(2 ** lg.mean()),
                   "sd": sd, "sem": sd / math.sqrt(n), "cv_pct": 100 * sd / float(fc.mean()),
                   "mean_log2_fold_change": float(lg.mean()),
                   "ci95_low": float(lg.mean() - half), "ci95_high": float(lg.mean() + half),
                   "ci95_low_fold": float(2 ** (lg.mean() - half)),
                   "ci95_high_fold": float(2 ** (lg.mean() + half)),
                   "p_value": None, "test": "", "p_value_bh": None}
            if condition != control:
                if control_has_spread:
                    row["p_value"] = float(stats.ttest_ind(lg, ctrl, equal_var=False).pvalue)
                    row["test"] = "welch-t-log2"
                else:
                    row["p_value"] = float(stats.ttest_1samp(lg, 0.0).pvalue)
                    row["test"] = "one-sample-t-log2"
                tested.append(row)
            summary.append(row)
        if tested:
            adjusted = stats.false_discovery_control([r["p_value"] for r in tested])
            for r, a in zip(tested, adjusted):
                r["p_value_bh"] = float(a)
    out["units"][unit] = summary
json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
print()
