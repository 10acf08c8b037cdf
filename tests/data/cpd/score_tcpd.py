#!/usr/bin/env python3
"""Scores a change-point command on the annotated TCPD series beside this file and fails below reporting nothing.

    score_tcpd.py [--data tcpd_dev13.json] [--fold K/N] -- CMD ARGS...

CMD gets one series on standard input (numbers separated by spaces) and prints JSON with "change_points":
[{"index": i}, ...] (index = first point of the new segment). The measures are those of van den Burg & Williams,
"An Evaluation of Change Point Detection Algorithms" (2020), section 4, as the team's scoring tool computes them:
F1 with a margin of 5 points (index 0 counts as a change point on both sides; precision against the union of the
annotators, recall averaged over annotators) and segmentation cover (each annotator's partition covered by the
predicted one, Jaccard-weighted), each averaged over the series. --fold K/N scores only the series whose position
modulo N is K (leave-some-out checks). Exit status 0 when both averages are above those of reporting no change
point, 1 when not, 2 on an error.
"""
import json, os, subprocess, sys

def true_positives(truth, pred, margin=5):
    left, hits = sorted(set(pred)), set()
    for t in sorted(set(truth)):
        near = [(abs(t - x), x) for x in left if abs(t - x) <= margin]
        if near:
            hits.add(t)
            left.remove(min(near)[1])
    return hits

def f1(annotations, pred, margin=5):
    per = {k: set(v) | {0} for k, v in annotations.items()}
    pred = set(pred) | {0}
    union = set().union(*per.values())
    precision = len(true_positives(union, pred, margin)) / len(pred)
    recall = sum(len(true_positives(v, pred, margin)) / len(v) for v in per.values()) / len(per)
    return 2 * precision * recall / (precision + recall)

def segments(cps, n):
    edges = [0] + sorted(c for c in set(cps) if 0 < c < n) + [n]
    return [set(range(a, b)) for a, b in zip(edges, edges[1:]) if b > a]

def cover(annotations, pred, n):
    mine = segments(pred, n)
    def one(truth):
        return sum(len(a) * max(len(a & b) / len(a | b) for b in mine) for a in truth) / n
    return sum(one(segments(v, n)) for v in annotations.values()) / len(annotations)

def main():
    args = sys.argv[1:]
    if "--" not in args:
        sys.exit("usage: score_tcpd.py [--data FILE] [--fold K/N] -- CMD ARGS...")
    cmd = args[args.index("--") + 1:]
    opts = args[:args.index("--")]
    data_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tcpd_dev13.json")
    fold = None
    while opts:
        o = opts.pop(0)
        if o == "--data" and opts:
            data_path = opts.pop(0)
        elif o == "--fold" and opts:
            k, n = opts.pop(0).split("/")
            fold = (int(k), int(n))
        else:
            sys.exit(f"score_tcpd.py: unknown option {o}")
    data = json.load(open(data_path))
    series = data["series"]
    if fold:
        series = [s for i, s in enumerate(series) if i % fold[1] == fold[0]]
    rows, zf, zc = [], [], []
    for s in series:
        out = subprocess.run(cmd, input=" ".join(repr(v) for v in s["values"]), capture_output=True, text=True,
                             timeout=300)
        if out.returncode != 0:
            print(f"{s['name']}: {' '.join(cmd)} exited {out.returncode}: {out.stderr.strip()[:200]}")
            sys.exit(2)
        n = s["n"]
        cps = sorted({c["index"] for c in json.loads(out.stdout)["change_points"] if 1 <= c["index"] <= n - 2})
        ann = dict(s["annotations"])
        rows.append((s["name"], cps, f1(ann, cps), cover(ann, cps, n)))
        zf.append(f1(ann, []))
        zc.append(cover(ann, [], n))
    for name, cps, f, c in rows:
        print(f"{name:20s} {len(cps):4d} change points   F1 {f:.3f}   cover {c:.3f}   {cps}")
    mf = sum(r[2] for r in rows) / len(rows)
    mc = sum(r[3] for r in rows) / len(rows)
    bf, bc = sum(zf) / len(zf), sum(zc) / len(zc)
    print(f"mean over {len(rows)} series: F1 {mf:.4f} cover {mc:.4f}   (no change points: F1 {bf:.4f} cover {bc:.4f})")
    if not (mf > bf and mc > bc):
        print("FAIL: not above reporting no change point")
        sys.exit(1)

if __name__ == "__main__":
    main()
