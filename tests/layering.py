#!/usr/bin/python3
"""The layers of the shared DESIGN.md ("Layout and dependency rules"), checked
over the source tree's #include lines.  Exit 0 when they hold, 1 with one
line per breach otherwise.

  layering.py ROOT              check the tree at ROOT
  layering.py --self-test ROOT  copy ROOT's sources to a temporary folder,
                                add one forbidden include of each kind, and
                                check that every one is caught (so the check
                                itself cannot silently pass everything)

Rules:
  1. A folder includes only the folders below it (ALLOWED).
  2. No folder includes another folder's private header (*_int.h).
  3. A foreign library's header is included in its own folder only
     (LIBRARIES): SQLite in store/, libcurl in agent/, libmicrohttpd in
     server/, GSL in analysis/, cairo in render/, jansson in ingest/.
  4. No include cycle between folders.
tests/ and bench/ are not layers: they may include what they test.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ALLOWED = {
    "core": set(),
    "schema": set(),
    "web": set(),
    "store": {"core", "schema"},
    "ingest": {"core"},
    "analysis": {"core"},
    "render": {"core"},
    "service": {"core", "store", "analysis", "ingest", "render"},
    "server": {"core", "store", "ingest", "analysis", "render", "service",
               "web"},
    "agent": {"core", "ingest", "analysis", "render"},
    "cli": {"core", "store", "ingest", "analysis", "render", "service",
            "server", "agent", "web"},
}
LIBRARIES = {
    "sqlite3.h": "store",
    "curl/": "agent",
    "microhttpd.h": "server",
    "gsl/": "analysis",
    "cairo": "render",
    "jansson.h": "ingest",
}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def sources(root):
    for folder in sorted(ALLOWED):
        d = os.path.join(root, folder)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if name.endswith((".c", ".h")):
                yield folder, os.path.join(d, name)


def check(root):
    problems = []
    edges = {f: set() for f in ALLOWED}
    for folder, path in sources(root):
        rel = os.path.relpath(path, root)
        with open(path, encoding="utf-8", errors="replace") as fh:
            for lineno, line in enumerate(fh, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                kind, target = m.groups()
                where = f"{rel}:{lineno}"
                if kind == '"' and "/" in target:
                    other = target.split("/", 1)[0]
                    if other not in ALLOWED:
                        continue
                    if other != folder:
                        edges[folder].add(other)
                        if other not in ALLOWED[folder]:
                            problems.append(
                                f"{where}: {folder}/ may not include "
                                f"{target} ({folder}/ is below {other}/)")
                        if target.endswith("_int.h"):
                            problems.append(
                                f"{where}: {target} is private to {other}/")
                elif kind == "<":
                    for lib, home in LIBRARIES.items():
                        if target.startswith(lib) and folder != home:
                            problems.append(
                                f"{where}: <{target}> belongs in {home}/ "
                                f"only")
    # Cycles between folders (depth-first search, one report per cycle).
    seen, stack, cycles = set(), [], set()

    def visit(f):
        if f in stack:
            cyc = stack[stack.index(f):] + [f]
            cycles.add(" -> ".join(cyc))
            return
        if f in seen:
            return
        seen.add(f)
        stack.append(f)
        for g in sorted(edges.get(f, ())):
            visit(g)
        stack.pop()

    for f in sorted(edges):
        visit(f)
    problems += [f"include cycle between folders: {c}" for c in sorted(cycles)]
    return problems


def self_test(root):
    """Each kind of breach, added to a copy of the real tree, is caught."""
    breaches = [
        ("analysis/describe.c", '#include "store/store.h"',
         "analysis/ may not include store/store.h"),
        ("service/compare.c", '#include "server/server_int.h"',
         "server/server_int.h is private to server/"),
        ("render/escape.c", "#include <sqlite3.h>",
         "<sqlite3.h> belongs in store/ only"),
        ("cli/cmd_push.c", "#include <curl/curl.h>",
         "<curl/curl.h> belongs in agent/ only"),
        ("core/buf.c", '#include "ingest/ingest.h"',
         "include cycle between folders"),
    ]
    with tempfile.TemporaryDirectory(prefix="bv-layering-") as tmp:
        for folder in ALLOWED:
            src = os.path.join(root, folder)
            if os.path.isdir(src):
                shutil.copytree(src, os.path.join(tmp, folder),
                                ignore=shutil.ignore_patterns("*.o", "*.a"))
        if check(tmp):
            print("the copy fails before any breach was added:",
                  *check(tmp), sep="\n  ")
            return 1
        for path, line, expect in breaches:
            full = os.path.join(tmp, path)
            with open(full) as fh:
                orig = fh.read()
            with open(full, "a") as fh:
                fh.write("\n" + line + "\n")
            out = subprocess.run([sys.executable, __file__, tmp],
                                 capture_output=True, text=True)
            with open(full, "w") as fh:
                fh.write(orig)
            if out.returncode != 1 or expect not in out.stdout:
                print(f"not caught: {line} in {path} (exit "
                      f"{out.returncode}):\n{out.stdout}")
                return 1
            print(f"caught: {line} in {path}: "
                  f"{out.stdout.splitlines()[0]}")
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--self-test":
        return self_test(argv[2])
    if len(argv) != 2:
        print(__doc__)
        return 2
    problems = check(argv[1])
    for p in problems:
        print(p)
    if not problems:
        print(f"layers hold: {sum(1 for _ in sources(argv[1]))} files")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
