#!/usr/bin/env python3
"""Independent reference for summary.csv statistics, computed with SciPy.

    scripts/summary-reference.py FOLD_CHANGE_CSV CONTROL > tests/fixtures/summary_scipy.json

Reads per-lane fold changes (blotquant's fold_change.csv), and for each target x condition
computes, from the lane values alone, what DESIGN.md section 4 defines: n, mean, geometric
mean, SD, SEM, CV %, mean log2 fold change and its 95 % CI (Student's t), the two-sided p-value
(Welch's t-test on log2 fold changes against the control lanes when they have spread, else a
one-sample t-test against 0) and Benjamini-Hochberg adjusted p-values across the conditions of a
target. Lanes without a sample id are biological replicates; no lane here is flagged.
The output holds the inputs too, so the test feeds exactly these lane values to blotquant.
"""
import csv, json, math, sys

import numpy as np
import scipy
from scipy import stats

rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
control = sys.argv[2]
lanes = [
    {"experiment": r["experiment"], "target": r["target"], "lane": int(r["lane"]),
     "condition": r["condition"], "fold_change": float(r["fold_change"])}
    for r in rows
]
out = {"scipy_version": scipy.__version__, "numpy_version": np.__version__,
       "control": control, "lanes": lanes, "summary": []}
targets = list(dict.fromkeys(l["target"] for l in lanes))
for target in targets:
    conditions = list(dict.fromkeys(l["condition"] for l in lanes if l["target"] == target))
    ctrl = np.log2([l["fold_change"] for l in lanes if l["target"] == target and l["condition"] == control])
    tested = []
    for condition in conditions:
        fc = np.array([l["fold_change"] for l in lanes if l["target"] == target and l["condition"] == condition])
        lg = np.log2(fc)
        n = len(fc)
        sd = float(np.std(fc, ddof=1))
        half = stats.t.ppf(0.975, n - 1) * np.std(lg, ddof=1) / math.sqrt(n)
        row = {"target": target, "condition": condition, "n": n,
               "mean_fold_change": float(fc.mean()), "geomean_fold_change": float(2 ** lg.mean()),
               "sd": sd, "sem": sd / math.sqrt(n), "cv_pct": 100 * sd / float(fc.mean()),
               "mean_log2_fold_change": float(lg.mean()),
               "ci95_low": float(lg.mean() - half), "ci95_high": float(lg.mean() + half),
               "p_value": None, "test": "", "p_value_bh": None}
        if condition != control:
            if len(ctrl) >= 2 and np.std(ctrl, ddof=1) > 0:
                row["p_value"] = float(stats.ttest_ind(lg, ctrl, equal_var=False).pvalue)
                row["test"] = "welch-t-log2"
            else:
                row["p_value"] = float(stats.ttest_1samp(lg, 0.0).pvalue)
                row["test"] = "one-sample-t-log2"
            tested.append(row)
        out["summary"].append(row)
    if tested:
        adjusted = stats.false_discovery_control([r["p_value"] for r in tested])
        for r, a in zip(tested, adjusted):
            r["p_value_bh"] = float(a)
json.dump(out, sys.stdout, indent=1)
print()
