#!/usr/bin/python3
"""Prints, for a build of benchvault, the verdicts on the recorded histories.

    /usr/bin/python3 tests/data/histories/evaluate.py [--bin PATH] [--no-loo]
        [--benchmark test_sort_list] [--measure latency]

Starts `benchvault serve` on an ephemeral loopback port with a temporary
database, pushes every history of manifest.json (tests/e2e/verdicts_util.py
says how), and prints one line per comparison: the head, the benchmark's
change, 95% CI and verdict, the comparison's regressed rows and summary,
then the base: which runs formed it and how it was resolved.  Then the
acceptance of issue 11 in short (what tests/e2e/test_verdicts.py asserts).
No timing is made here: it takes seconds, for iterating on the engine.
"""
import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
E2E = os.path.normpath(os.path.join(HERE, "..", "..", "e2e"))
sys.path.insert(0, E2E)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("BENCHVAULT_BIN"),
                    help="the benchvault binary (default: BENCHVAULT_BIN, "
                         "else build-test/benchvault, else build/benchvault)")
    ap.add_argument("--no-loo", action="store_true",
                    help="skip the leave-one-out comparisons")
    ap.add_argument("--benchmark", default="test_sort_list")
    ap.add_argument("--measure", default="latency")
    a = ap.parse_args()
    root = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
    b = a.bin
    if not b:
        for cand in ("build-test", "build"):
            p = os.path.join(root, cand, "benchvault")
            if os.path.exists(p):
                b = p
                break
    if not b or not os.path.exists(b):
        sys.exit("no benchvault binary: give --bin PATH")
    os.environ["BENCHVAULT_BIN"] = os.path.abspath(b)

    import conftest  # noqa: E402  (reads BENCHVAULT_BIN)
    import verdicts_util as vu  # noqa: E402

    with tempfile.TemporaryDirectory(prefix="bv-eval-") as d:
        db = os.path.join(d, "bv.db")
        s = conftest.Server(db)
        token = conftest.make_token(db, "write")
        s.start()
        try:
            comps = vu.comparisons(s.url, token, with_loo=not a.no_loo)
        finally:
            s.stop()
    print(f"binary: {b}\n")
    print(vu.table(comps, a.benchmark, a.measure))
    print()
    print(summary(vu, comps))


def summary(vu, comps):
    def verdict(c):
        return (c.row(vu.SLOWED) or {}).get("verdict")

    def regressed_rows(c):
        return [r for r in c.rows if r.get("verdict") == "regressed"]

    out = ["acceptance (issue 11), each line: passing/total"]

    def line(what, cs, ok):
        n = sum(1 for c in cs if ok(c))
        out.append(f"  {what:58} {n}/{len(cs)}"
                   f"{'' if n == len(cs) else '  <- FAILS'}")

    def kind(*k):
        return [c for c in comps if c.kind in k]

    line("+20% single heads regressed", kind("slow20"),
         lambda c: verdict(c) == "regressed")
    line("+20% pooled heads regressed", kind("slow20-pooled"),
         lambda c: verdict(c) == "regressed")
    line("+10% heads regressed or inconclusive",
         kind("slow10", "slow10-pooled"),
         lambda c: verdict(c) in ("regressed", "inconclusive"))
    line("identical-code heads without a regressed row",
         kind("same", "same-pooled"), lambda c: not regressed_rows(c))
    loo = kind("loo")
    if loo:
        rows = sum(sum(1 for r in c.rows if r.get("verdict") in vu.VERDICTS)
                   for c in loo)
        reg = sum(len(regressed_rows(c)) for c in loo)
        out.append(f"  {'leave-one-out single runs: regressed rows / rows':58}"
                   f" {reg}/{rows} (at most 1 per 100, all histories)")
        line("leave-one-out pooled heads without a regressed row",
             kind("loo-pooled"), lambda c: not regressed_rows(c))

    def ci_ok(c):
        for r in regressed_rows(c):
            ci = r.get("change_ci") or [None, None]
            if ci[0] is None or ci[1] is None:
                return False
            if (ci[1] >= 0) if r.get("direction") == "higher" else \
                    (ci[0] <= 0):
                return False
        return True
    line("comparisons whose regressed rows' CIs are on the worse side",
         comps, ci_ok)
    line("comparisons whose inconclusive rows all have a reason", comps,
         lambda c: all(r.get("reason") for r in c.rows
                       if r.get("verdict") == "inconclusive"))
    line("summaries with `not_compared`", comps,
         lambda c: "not_compared" in c.j.get("summary", {}))
    line("comparisons counting no single-value row as a verdict", comps,
         lambda c: not any(c.single_value(r) and r.get("verdict") in
                           vu.VERDICTS for r in c.rows))
    return "\n".join(out)


if __name__ == "__main__":
    main()
