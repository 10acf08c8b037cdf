/*
 * server: the HTTP service over libmicrohttpd.  Routing, authentication,
 * limits, the JSON API, metrics, and the writer thread that batches ingests
 * into group commits.  cli/ starts and stops it; nothing below cli/
 * includes this header.
 *
 * Ownership: srv_start copies what it needs from the config; the caller
 * keeps its strings.  srv_stop frees everything.
 */
#ifndef BV_SERVER_H
#define BV_SERVER_H

#include "core/core.h"
#include "ingest/ingest.h"

struct srv_config {
    const char *db_path;
    const char *listen;          /* "127.0.0.1:8080"; port 0 = ephemeral */
    unsigned threads;            /* worker threads (thread pool size) */
    bool private_reads;          /* reads need a read token */
    unsigned conn_timeout_s;     /* idle connection timeout */
    unsigned per_ip_limit;       /* concurrent connections per IP, 0 = none */
    unsigned max_connections;    /* connections held at once, all clients */
    unsigned header_timeout_s;   /* a request's headers must be in by then */
    unsigned body_timeout_s;     /* and its body (+1 s per 64 KiB) by then */
    size_t max_url;              /* request target (path and query): 414 */
    size_t max_headers;          /* request header block: 431 */
    unsigned batch_max;          /* runs per group commit */
    unsigned metrics_series;     /* series /metrics exposes (0: none) */
    bool log_requests;           /* one log line per request */
    bool trust_proxy;            /* believe X-Forwarded-Proto/-Host and
                                    Forwarded from the proxy in front */
    unsigned session_idle_s;     /* a browser session's idle expiry;
                                    0: SRV_SESSION_IDLE_S */
    unsigned session_max_s;      /* its absolute expiry; 0: SRV_SESSION_MAX_S */
    struct ingest_limits limits; /* body, depth, names, samples */
    unsigned retention_interval_s; /* a retention pass this often; 0: none */
    unsigned retention_batch;      /* runs per retention batch; 0: default */
    const char *cors_origins;      /* comma-separated origins that may read the
                                      API from a browser ("*": any); NULL: none */
};

/* Retention's defaults: a pass an hour, 200 runs per batch. */
#define SRV_RETENTION_INTERVAL_S 3600u
#define SRV_RETENTION_BATCH 200u

/* Browser sessions' default expiry: 12 hours idle, 7 days in all. */
#define SRV_SESSION_IDLE_S (12u * 3600u)
#define SRV_SESSION_MAX_S (7u * 24u * 3600u)

void srv_config_default(struct srv_config *cfg);

struct srv;

/*
 * Opens the database (creating and migrating it), starts the writer thread
 * and the HTTP listener.  ERR_IO when the address cannot be bound, ERR_DB
 * when the database cannot be opened.
 */
enum err srv_start(const struct srv_config *cfg, struct srv **out,
                   struct errbuf *eb);
/* The port actually bound (useful with port 0). */
unsigned srv_port(const struct srv *s);
/*
 * Graceful stop: stops accepting, lets in-flight requests finish (up to
 * grace_ms), drains the writer, closes the database.  NULL is a no-op.
 */
void srv_stop(struct srv *s, unsigned grace_ms);

/* ---- regression detection (server/route_alerts.c) ---------------------- */

struct store_alert;
/* Writes an alert as the API shows it (commit range, bisect recipe); the
 * CLI's --db mode prints the same. */
void srv_write_alert(struct jw *w, const struct store_alert *a);

struct store;

#endif /* BV_SERVER_H */
