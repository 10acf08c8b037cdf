"""Webhooks end to end (issue 16): a receiver on loopback gets one signed
delivery per alert transition, also after an outage; the API refuses what
it must; Slack's format; the outbox survives a restart of the server."""
import hashlib
import hmac
import http.server
import json
import os
import socket
import threading
import time

import requests

from conftest import Server, auth, make_token
from test_alerts import PROJECT, body, history, post


class Receiver:
    """An HTTP receiver on 127.0.0.1 that records every POST."""

    def __init__(self, port=0):
        self.got = []
        self.port = port
        self.srv = None

    def start(self):
        got = self.got

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                got.append((dict(self.headers), self.rfile.read(n)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), H)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"


def wait_for(pred, timeout=30.0):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def signed_ok(headers, raw, secret):
    want = "sha256=" + hmac.new(secret.encode(), raw,
                                hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers.get("X-Benchvault-Signature-256", ""),
                               want)


def events(rec):
    return [h.get("X-Benchvault-Event") for h, _ in rec.got]


def open_alert(s, tok):
    for i, v in enumerate(history([1.0] * 30 + [1.2] * 12)):
        for a in post(s, tok, body(i, v))["alerts"]:
            return a
    raise AssertionError("no alert opened")


def test_signed_delivery_per_transition_through_an_outage(tmpdir_path):
    db = os.path.join(tmpdir_path, "hooks.db")
    write = make_token(db)
    admin = make_token(db, "admin", name="admin")
    s = Server(db, ["--webhook-retry", "1", "--webhook-timeout", "2",
                    "--public-url", "https://bench.example.com"]).start()
    rec = Receiver().start()
    try:
        # the project exists once a run is stored
        post(s, write, body(0, 10.0))
        url = f"{s.url}/api/v1/projects/{PROJECT}/webhooks"
        hdr = {"Content-Type": "application/json"}
        # a write token may not route alerts elsewhere; no token at all: 401
        r = requests.post(url, data=json.dumps({"url": rec.url}),
                          headers={**hdr, **auth(write)})
        assert r.status_code == 403, r.text
        assert "admin" in r.json()["detail"]
        r = requests.post(url, data=json.dumps({"url": rec.url}), headers=hdr)
        assert r.status_code == 401, r.text
        # bad bodies name their field, and nothing is stored
        for bad, field in (({"url": "ftp://x"}, "url"), ({}, "url"),
                           ({"url": rec.url, "secret": "short"}, "secret"),
                           ({"url": rec.url, "format": "xml"}, "format")):
            r = requests.post(url, data=json.dumps(bad),
                              headers={**hdr, **auth(admin)})
            assert r.status_code == 422, (bad, r.text)
            assert field in r.text, (bad, r.text)
        r = requests.get(url, headers=auth(admin))
        assert r.status_code == 200 and r.json()["webhooks"] == [], r.text
        # the secret is made and shown once
        r = requests.post(url, data=json.dumps({"url": rec.url}),
                          headers={**hdr, **auth(admin)})
        assert r.status_code == 201, r.text
        hook = r.json()
        secret = hook["secret"]
        assert len(secret) >= 32
        lst = requests.get(url, headers=auth(admin)).json()["webhooks"]
        assert [h["id"] for h in lst] == [hook["id"]]
        assert "secret" not in json.dumps(lst)

        a = open_alert(s, write)
        assert wait_for(lambda: len(rec.got) >= 1), s.logtext()
        time.sleep(1.5)  # nothing more comes for one transition
        assert events(rec) == ["alert.opened"], rec.got
        h, raw = rec.got[0]
        assert signed_ok(h, raw, secret), h
        assert h["X-Benchvault-Delivery"].isdigit()
        doc = json.loads(raw)
        assert doc["event"] == "alert.opened" and doc["project"] == PROJECT
        assert doc["alert"]["id"] == a["id"]
        assert doc["alert"]["status"] == "open"
        assert doc["alert"]["first_bad_commit"] == a["first_bad_run"]["commit"]
        assert doc["url"] == f"https://bench.example.com/p/{PROJECT}/alerts"

        # the receiver goes away; the alert is resolved meanwhile
        port = rec.port
        rec.stop()
        r = requests.patch(f"{s.url}/api/v1/alerts/{a['id']}",
                           data=json.dumps({"status": "resolved",
                                            "note": "fixed in c9999"}),
                           headers={**hdr, **auth(write)})
        assert r.status_code == 200, r.text

        def failed_once():
            d = requests.get(url, headers=auth(admin)).json()["webhooks"][0]
            return d["deliveries"]["pending"] == 1 and \
                d["deliveries"]["last_error"]
        assert wait_for(failed_once, 20), s.logtext()
        # back after the outage, on the same port: the delivery arrives once
        rec2 = Receiver(port).start()
        try:
            assert wait_for(lambda: len(rec2.got) >= 1, 30), s.logtext()
            time.sleep(1.5)
            assert events(rec2) == ["alert.resolved"], rec2.got
            h, raw = rec2.got[0]
            assert signed_ok(h, raw, secret)
            doc = json.loads(raw)
            assert doc["alert"]["status"] == "resolved"
            assert doc["alert"]["note"] == "fixed in c9999"
            d = requests.get(url, headers=auth(admin)).json()["webhooks"][0]
            assert d["deliveries"] == {"pending": 0, "delivered": 2,
                                       "failed": 0, "last_status": 204,
                                       "last_error": None}, d
        finally:
            rec2.stop()
        # deleting: 204, then 404; the list is empty
        r = requests.delete(f"{url}/{hook['id']}", headers=auth(admin))
        assert r.status_code == 204, r.text
        r = requests.delete(f"{url}/{hook['id']}", headers=auth(admin))
        assert r.status_code == 404, r.text
        assert requests.get(url, headers=auth(admin)).json()["webhooks"] == []
    finally:
        s.stop()


def test_slack_format_and_restart_keeps_the_outbox(tmpdir_path):
    db = os.path.join(tmpdir_path, "slack.db")
    write = make_token(db)
    admin = make_token(db, "admin", name="admin")
    # a port nobody listens on yet
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        port = so.getsockname()[1]
    s = Server(db, ["--webhook-retry", "1", "--webhook-timeout", "2"]).start()
    try:
        post(s, write, body(0, 10.0))
        r = requests.post(f"{s.url}/api/v1/projects/{PROJECT}/webhooks",
                          data=json.dumps({"url": f"http://127.0.0.1:{port}/s",
                                           "format": "slack",
                                           "secret": "x" * 20}),
                          headers={"Content-Type": "application/json",
                                   **auth(admin)})
        assert r.status_code == 201, r.text
        assert r.json()["secret"] == "x" * 20
        open_alert(s, write)
    finally:
        # stopped while the delivery is pending (nobody listens)
        assert s.stop() == 0
    rec = Receiver(port).start()
    s.start()
    try:
        assert wait_for(lambda: len(rec.got) >= 1, 30), s.logtext()
        time.sleep(1.5)
        assert len(rec.got) == 1, rec.got
        h, raw = rec.got[0]
        assert signed_ok(h, raw, "x" * 20)
        doc = json.loads(raw)
        assert list(doc) == ["text"], doc
        assert doc["text"].startswith(f"benchvault: alert.opened in {PROJECT}")
        assert "bench_0" in doc["text"]
    finally:
        rec.stop()
        s.stop()
