"""Odd but valid locust cases (benchvault's ingest fixtures): a name with a
comma and quotes (RFC 4180 quoting), a non-ASCII name, a failing request.
Targets a local http.server on 127.0.0.1 only."""
from locust import HttpUser, constant, task


class OddUser(HttpUser):
    wait_time = constant(0.05)

    @task(3)
    def small(self):
        self.client.get("/small.txt", name='/small.txt, "quoted"')

    @task(2)
    def umlaut(self):
        self.client.get("/small.txt", name="/gr\u00fc\u00dfe")

    @task(1)
    def missing(self):
        self.client.get("/missing")
