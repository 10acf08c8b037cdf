#!/usr/bin/python3
"""Reference values for the statistics engine (analysis/), from NumPy/SciPy.

Run with Debian's interpreter, which has python3-numpy and python3-scipy:

    /usr/bin/python3 tests/reference/gen_stats_reference.py

It writes tests/data/stats/*.json; tests/unit/test_analysis.c checks that the
C code agrees to 1e-9 relative (p-values to 1e-6).  The output is committed:
run this again only when a case is added or a definition changes (numpy
1.24.2 and scipy 1.10.1 made the committed files).

What comes from where:
- describe: np.mean, np.median, np.std(ddof=1), np.percentile (linear),
  scipy.stats.median_abs_deviation (scale 1), scipy.stats.iqr,
  scipy.stats.t.ppf for the mean's interval.  CV = std(ddof=1) / mean.
- mannwhitney: scipy.stats.mannwhitneyu(x, y, method='auto').
- welch: scipy.stats.ttest_ind(equal_var=False) and ttest_ind_from_stats.
- trend: scipy.stats.linregress, scipy.stats.theilslopes, and Mann-Kendall
  written out below from its definition (SciPy has none) with
  scipy.stats.norm.sf.
- bh: the Benjamini-Hochberg step-up written with NumPy (SciPy 1.10 has no
  false_discovery_control).
- bootstrap intervals: the engine's seeded stream (xoshiro256** seeded by
  splitmix64, analysis/analysis_int.h) is repeated here draw for draw; each
  resample is drawn as values and its median taken with np.median, and the
  interval is np.percentile(medians, [2.5, 97.5]), so the C code's counting
  shortcut is checked against the plain definition.
- scaling: Google Benchmark 1.7's MinimalLeastSq written out with NumPy, and
  linregress on the logs.
"""
import json
import math
import os
import struct

import numpy as np
from scipy import stats

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                   "stats")
B = 2000        # bootstrap resamples (AN_BOOTSTRAP_DEFAULT)
SEED = 0        # an_options_default
TAG_DESCRIBE = 1
TAG_HEAD = 2
M64 = (1 << 64) - 1


# ---- the engine's random stream -------------------------------------------

def mix64(z):
    z = (z + 0x9e3779b97f4a7c15) & M64
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    return z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class Rng:
    def __init__(self, seed, sorted_values, tag):
        h = mix64(seed ^ 0x243f6a8885a308d3)
        for v in sorted_values:
            v = 0.0 if v == 0 else float(v)
            h = mix64(h ^ struct.unpack("<Q", struct.pack("<d", v))[0])
        h = mix64(h ^ len(sorted_values))
        h = mix64(h ^ tag)
        self.s = [mix64((h + k * 0x9e3779b97f4a7c15) & M64)
                  for k in range(4)]

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def below(self, n):
        m = (self.next() >> 32) * n
        low = m & 0xffffffff
        if low < n:
            t = ((1 << 32) - n) % n
            while low < t:
                m = (self.next() >> 32) * n
                low = m & 0xffffffff
        return m >> 32


def boot_medians(values, tag, b=B, seed=SEED):
    xs = np.sort(np.asarray(values, dtype=float))
    r = Rng(seed, xs, tag)
    n = len(xs)
    out = np.empty(b)
    for k in range(b):
        idx = [r.below(n) for _ in range(n)]
        out[k] = np.median(xs[idx])
    return out


def interval(v):
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return [None, None]
    lo, hi = np.percentile(v, [2.5, 97.5])
    return [float(lo), float(hi)]


def num(v):
    """A float for JSON: NaN becomes null, infinities stay (write() spells
    them "inf" / "-inf", which the C test reads with strtod)."""
    v = float(v)
    return None if math.isnan(v) else v


# ---- describe ---------------------------------------------------------------

def describe(x, bootstrap=True):
    x = np.asarray(x, dtype=float)
    n = len(x)
    mean = float(np.mean(x))
    if x.min() == x.max():
        mean = float(x[0])
    sd = float(np.std(x, ddof=1)) if n > 1 else math.nan
    if n > 1 and x.min() == x.max():
        sd = 0.0
    q1, q3 = np.percentile(x, [25, 75])
    iqr = float(stats.iqr(x))
    d = {
        "n": n, "mean": mean, "median": float(np.median(x)), "stddev": sd,
        "mad": float(stats.median_abs_deviation(x)),
        "min": float(x.min()), "max": float(x.max()),
        "p90": float(np.percentile(x, 90)), "p95": float(np.percentile(x, 95)),
        "p99": float(np.percentile(x, 99)), "q1": float(q1), "q3": float(q3),
        "iqr": iqr, "cv": sd / mean if mean != 0 else math.nan,
    }
    if n > 1:
        half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
        d["mean_ci"] = [mean - half, mean + half]
    else:
        d["mean_ci"] = [math.nan, math.nan]
    lo, hi = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    d["outliers"] = sorted(float(v) for v in x if v < lo or v > hi)
    if bootstrap:
        d["median_ci"] = interval(boot_medians(x, TAG_DESCRIBE))
    return {k: ([num(a) if a is not None else None for a in v]
                if isinstance(v, list) else
                (num(v) if isinstance(v, float) else v))
            for k, v in d.items()}


# ---- tests ------------------------------------------------------------------

def mwu(x, y):
    r = stats.mannwhitneyu(x, y, method="auto")
    n1, n2 = len(x), len(y)
    ties = len(np.unique(np.concatenate([x, y]))) < n1 + n2
    exact = not (n1 > 8 and n2 > 8) and not ties
    return {"u": float(r.statistic), "p": float(r.pvalue), "exact": exact}


def welch(x, y):
    if len(x) < 2 or len(y) < 2:
        return {"t": None, "df": None, "p": None}
    r = stats.ttest_ind(x, y, equal_var=False)
    v1, v2 = np.var(x, ddof=1) / len(x), np.var(y, ddof=1) / len(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = (v1 + v2) ** 2 / (v1 ** 2 / (len(x) - 1) +
                               v2 ** 2 / (len(y) - 1))
    if np.isnan(df):
        df = 1.0
    return {"t": num(r.statistic), "df": num(df), "p": num(r.pvalue)}


def compare(base, head):
    base = np.asarray(base, dtype=float)
    head = np.asarray(head, dtype=float)
    mb, mh = float(np.median(base)), float(np.median(head))
    if mb == 0:
        change = 0.0 if mh == 0 else math.nan
    else:
        change = mh / mb - 1
    bb = boot_medians(base, TAG_DESCRIBE)
    bh = boot_medians(head, TAG_HEAD)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(bb != 0, bh / bb - 1, np.where(bh == 0, 0.0, np.nan))
    return {
        "base_values": base.tolist(), "head_values": head.tolist(),
        "base": mb, "head": mh, "change": num(change),
        "change_ci": interval(ratio),
        "welch": welch(base, head), "mannwhitney": mwu(base, head),
        "base_describe": describe(base), "head_describe": describe(head),
    }


def bh(p):
    p = np.asarray(p, dtype=float)
    q = np.full(len(p), np.nan)
    ok = np.isfinite(p)
    pv = p[ok]
    m = len(pv)
    if m:
        order = np.argsort(pv, kind="stable")
        adj = pv[order] * m / np.arange(1, m + 1)
        adj = np.minimum.accumulate(adj[::-1])[::-1]
        adj = np.minimum(adj, 1.0)
        out = np.empty(m)
        out[order] = adj
        q[ok] = out
    return [num(v) for v in q]


# ---- trend --------------------------------------------------------------------

def mann_kendall(x, y):
    n = len(y)
    s = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            s += np.sign(x[j] - x[i]) * np.sign(y[j] - y[i])
    _, t = np.unique(y, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - np.sum(t * (t - 1) * (2 * t + 5))) / 18
    if s == 0 or var <= 0:
        return s, 0.0, 1.0
    z = (s - np.sign(s)) / math.sqrt(var)
    return s, float(z), float(2 * stats.norm.sf(abs(z)))


def trend(x, y):
    y = np.asarray(y, dtype=float)
    xx = np.arange(len(y), dtype=float) if x is None else np.asarray(
        x, dtype=float)
    r = stats.linregress(xx, y)
    n = len(y)
    if n > 2:
        tc = stats.t.ppf(0.975, n - 2)
        ci = [r.slope - tc * r.stderr, r.slope + tc * r.stderr]
    else:
        ci = [math.nan, math.nan]
    ts = stats.theilslopes(y, xx)
    s, z, p = mann_kendall(xx, y)
    return {
        "x": None if x is None else xx.tolist(), "y": y.tolist(),
        "slope": num(r.slope), "intercept": num(r.intercept),
        "r2": num(r.rvalue ** 2), "p_value": num(r.pvalue),
        "slope_stderr": num(r.stderr), "slope_ci": [num(v) for v in ci],
        "theil_sen_slope": num(ts[0]), "theil_sen_intercept": num(ts[1]),
        "mann_kendall_s": float(s), "mann_kendall_z": num(z),
        "mann_kendall_p": num(p),
    }


# ---- scaling ------------------------------------------------------------------

LOG2E = 1.44269504088896340736
CURVES = [
    ("O(1)", lambda n: np.ones_like(n)),
    ("O(log n)", lambda n: LOG2E * np.log(n)),
    ("O(n)", lambda n: n),
    ("O(n log n)", lambda n: LOG2E * n * np.log(n)),
    ("O(n^2)", lambda n: n ** 2),
    ("O(n^3)", lambda n: n ** 3),
]


def scaling(n, t):
    n = np.asarray(n, dtype=float)
    t = np.asarray(t, dtype=float)
    fits = []
    best = 0
    for k, (name, g) in enumerate(CURVES):
        gn = g(n)
        coef = np.sum(t * gn) / np.sum(gn * gn)
        rms = math.sqrt(np.sum((t - coef * gn) ** 2) / len(n)) / np.mean(t)
        fits.append({"class": name, "coefficient": float(coef),
                     "rms": float(rms)})
        if rms < fits[best]["rms"]:
            best = k
    r = stats.linregress(np.log(n), np.log(t))
    if len(n) > 2:
        tc = stats.t.ppf(0.975, len(n) - 2)
        ci = [r.slope - tc * r.stderr, r.slope + tc * r.stderr]
    else:
        ci = [math.nan, math.nan]
    thr = {}
    for k in sorted(set(n)):
        thr[k] = k / float(np.median(t[n == k]))
    ratio = thr[max(thr)] / max(thr.values())
    return {"n": n.tolist(), "t": t.tolist(), "best": CURVES[best][0],
            "fits": fits, "loglog_slope": float(r.slope),
            "loglog_slope_ci": [num(v) for v in ci],
            "throughput_ratio": float(ratio)}


# ---- cases --------------------------------------------------------------------

def main():
    rs = np.random.RandomState(20261126)
    os.makedirs(OUT, exist_ok=True)
    lognormal = rs.lognormal(mean=np.log(30e-6), sigma=0.08, size=300)
    lognormal[[5, 50, 120]] *= [2.5, 3.0, 1.8]  # a few slow rounds
    samples = {
        "n1": [3.7],
        "n2": [1.0, 2.0],
        "n3": [2.0, 1.0, 3.0],
        "n4": [4.0, 1.0, 3.0, 2.0],
        "n5_outlier": [10.0, 12.0, 11.0, 50.0, 9.0],
        "constant": [5.0] * 7,
        "ties": [1, 2, 2, 2, 3, 3, 4, 4, 4, 4, 5],
        "skewed": rs.lognormal(0, 1, 200).tolist(),
        "bimodal": np.concatenate([rs.normal(10, 0.5, 80),
                                   rs.normal(14, 0.5, 70)]).tolist(),
        "huge": (1e150 * (1 + 0.01 * rs.standard_normal(20))).tolist(),
        "tiny": (1e-150 * (1 + 0.01 * rs.standard_normal(20))).tolist(),
        "offset": [1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4, 1e9 + 5],
        "negative": rs.normal(-3, 2, 50).tolist(),
        "timings": lognormal.tolist(),
        "normal_1000": rs.normal(100, 5, 1000).tolist(),
        "zeros_and_ones": [0.0] * 6 + [1.0] * 5,
    }
    doc = [{"name": k, "values": [float(v) for v in x],
            "expect": describe(x)} for k, x in samples.items()]
    write("describe.json", {"bootstrap": B, "seed": SEED, "cases": doc})

    pairs = {
        "exact_3_3": ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]),
        "exact_scipy_doc": ([19.0, 22, 16, 29, 24], [20.0, 11, 17, 12]),
        "exact_1_1": ([1.0], [2.0]),
        "exact_1_5": ([3.5], [1.0, 2, 3, 4, 5]),
        "exact_8_30": (rs.normal(0, 1, 8).tolist(),
                       rs.normal(0.8, 1, 30).tolist()),
        "exact_3_100": (rs.normal(1, 1, 3).tolist(),
                        rs.normal(0, 1, 100).tolist()),
        "exact_5_400": (rs.normal(0.5, 1, 5).tolist(),
                        rs.normal(0, 1, 400).tolist()),
        "exact_8_8_far": (list(range(1, 9)), list(range(20, 28))),
        "asymptotic_9_9": (rs.normal(0, 1, 9).tolist(),
                           rs.normal(1, 1, 9).tolist()),
        "ties_small": ([1.0, 2, 2, 3], [2.0, 3, 3, 4, 5]),
        "all_equal": ([7.0] * 5, [7.0] * 6),
        "shift_100": (rs.lognormal(0, 0.1, 100).tolist(),
                      (1.03 * rs.lognormal(0, 0.1, 100)).tolist()),
        "large_1000_800": (rs.normal(0, 1, 1000).tolist(),
                           rs.normal(0.05, 1, 800).tolist()),
        "integers_ties": (rs.randint(0, 10, 60).astype(float).tolist(),
                          rs.randint(1, 11, 70).astype(float).tolist()),
        "far_tail": (rs.normal(0, 1, 200).tolist(),
                     rs.normal(3, 1, 200).tolist()),
    }
    write("mannwhitney.json", {"cases": [
        {"name": k, "x": [float(v) for v in x], "y": [float(v) for v in y],
         "expect": mwu(np.asarray(x, float), np.asarray(y, float))}
        for k, (x, y) in pairs.items()]})

    wel = {
        "small": ([1.0, 2, 3], [2.0, 4, 6, 8]),
        "n2": ([1.0, 2.0], [3.0, 5.0]),
        "zero_var_equal": ([2.0, 2, 2], [2.0, 2, 2, 2]),
        "zero_var_diff": ([2.0, 2, 2], [3.0, 3, 3]),
        "lognormal": (rs.lognormal(0, 0.2, 40).tolist(),
                      rs.lognormal(0.1, 0.3, 60).tolist()),
        "huge_t": ((1000 + rs.normal(0, 1e-3, 50)).tolist(),
                   (1001 + rs.normal(0, 1e-3, 50)).tolist()),
    }
    wcases = [{"name": k, "x": [float(v) for v in x],
               "y": [float(v) for v in y],
               "expect": welch(np.asarray(x, float), np.asarray(y, float))}
              for k, (x, y) in wel.items()]
    summ = [(12.3, 0.4, 30, 12.9, 0.5, 25), (1.0, 0.0, 5, 1.0, 0.0, 5),
            (5e-6, 1e-7, 1000, 5.1e-6, 2e-7, 900)]
    scases = []
    for m1, s1, n1, m2, s2, n2 in summ:
        r = stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2,
                                       equal_var=False)
        scases.append({"stats": [m1, s1, n1, m2, s2, n2],
                       "expect": {"t": num(r.statistic),
                                  "p": num(r.pvalue)}})
    write("welch.json", {"cases": wcases, "summary": scases})

    base_t = rs.lognormal(np.log(28e-6), 0.05, 100)
    cmp_cases = {
        "identical": (base_t.tolist(), base_t.tolist()),
        "slower_20pct": (base_t.tolist(),
                         (1.2 * rs.lognormal(np.log(28e-6), 0.05,
                                             100)).tolist()),
        "same_code": (base_t.tolist(),
                      rs.lognormal(np.log(28e-6), 0.05, 100).tolist()),
        "n5": ([10.1, 10.3, 9.9, 10.0, 10.2], [11.0, 11.2, 10.9, 11.1, 11.3]),
        "n1": ([1.0], [1.1]),
        "int_ties": ([100.0, 100, 101, 101, 102, 100, 103],
                     [100.0, 101, 101, 102, 102, 104, 104]),
        "zero_base": ([0.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 2.0]),
        "throughput": (rs.normal(1000, 20, 50).tolist(),
                       rs.normal(950, 20, 60).tolist()),
    }
    write("compare.json", {"bootstrap": B, "seed": SEED, "cases": [
        dict(name=k, **compare(b, h)) for k, (b, h) in cmp_cases.items()]})

    bhc = [[0.01, 0.04, 0.03, 0.005, 0.2],
           [0.01, float("nan"), 0.01, 0.5, 0.049],
           [1.0, 1.0], [0.0001], [0.05, 0.05, 0.05, 0.05]]
    write("bh.json", {"cases": [{"p": [num(v) for v in p], "q": bh(p)}
                                for p in bhc]})

    xs = np.arange(30, dtype=float)
    tr = {
        "linear_noise": (None, (2.0 + 0.5 * xs + rs.normal(0, 1, 30))),
        "constant": (None, np.full(10, 4.0)),
        "n2": (None, np.array([1.0, 3.0])),
        "n3": (None, np.array([1.0, 3.0, 2.0])),
        "ties_y": (None, np.array([1.0, 2, 2, 3, 3, 3, 4, 2, 5, 5])),
        "decreasing_pairs": (np.array([1.0, 2, 4, 8, 16, 32]),
                             np.array([10.0, 9.1, 8.7, 7.2, 5.0, 1.1])),
        "x_ties": (np.array([1.0, 1, 2, 2, 3, 3, 4]),
                   np.array([1.0, 2, 2, 3, 5, 4, 6])),
        "memory_growth": (np.arange(0, 3600, 60, dtype=float),
                          1e8 + 2e3 * np.arange(0, 3600, 60) +
                          rs.normal(0, 5e4, 60)),
    }
    write("trend.json", {"cases": [
        dict(name=k, **trend(x, y)) for k, (x, y) in tr.items()]})

    nn = np.repeat([1.0, 10, 100, 1000, 10000], 3)
    sc = {
        "nlogn": (nn, 3e-9 * nn * np.log2(nn) * (1 + 0.03 *
                  rs.standard_normal(len(nn))) + 1e-9),
        "linear": (nn, 2e-8 * nn * (1 + 0.02 * rs.standard_normal(len(nn)))),
        "constant": (nn, 5e-6 * (1 + 0.02 * rs.standard_normal(len(nn)))),
        "quadratic_2pts": (np.array([10.0, 20.0]), np.array([1.0, 4.1])),
        "batch_overhead": (np.array([1.0, 10, 100, 1000]),
                           np.array([8.4e-8, 1.63e-7, 1.98e-6, 2.97e-5])),
    }
    write("scaling.json", {"cases": [
        dict(name=k, **scaling(n, t)) for k, (n, t) in sc.items()]})


def write(name, doc):
    def clean(o):
        if isinstance(o, float):
            if math.isinf(o):
                return "inf" if o > 0 else "-inf"
            return None if math.isnan(o) else o
        if isinstance(o, dict):
            return {k: clean(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [clean(v) for v in o]
        if isinstance(o, (np.floating,)):
            return clean(float(o))
        if isinstance(o, (np.integer,)):
            return int(o)
        if isinstance(o, np.bool_):
            return bool(o)
        return o
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(clean(doc), f, indent=1, allow_nan=False)
        f.write("\n")
    print("wrote", name)


if __name__ == "__main__":
    main()
