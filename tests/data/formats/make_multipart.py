#!/usr/bin/env python3
"""Writes a multipart/form-data body as benchvault push sends it.

usage: make_multipart.py CASE_DIR NAME=FILE...

Writes CASE_DIR/input.txt (the body, CRLF line ends, one part per
NAME=FILE) and CASE_DIR/content_type (its Content-Type with the boundary),
for the data-driven runner (tests/ingest_case.c).
"""
import hashlib
import os
import sys


def main():
    case, pairs = sys.argv[1], sys.argv[2:]
    parts = []
    for p in pairs:
        name, path = p.split("=", 1)
        with open(path, "rb") as f:
            parts.append((name, f.read()))
    boundary = "benchvault-" + hashlib.sha256(
        b"".join(n.encode() + d for n, d in parts)).hexdigest()[:32]
    body = b""
    for name, data in parts:
        assert ("--" + boundary).encode() not in data
        body += (f"--{boundary}\r\nContent-Disposition: form-data; "
                 f"name=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n"
                 ).encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    os.makedirs(case, exist_ok=True)
    with open(os.path.join(case, "input.txt"), "wb") as f:
        f.write(body)
    with open(os.path.join(case, "content_type"), "w") as f:
        f.write(f"multipart/form-data; boundary={boundary}\n")


if __name__ == "__main__":
    main()
