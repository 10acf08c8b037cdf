-- Webhooks (issue 16): a project's receivers of alert transitions, and the
-- outbox of their deliveries.
--
-- The triggers below write the outbox in the same transaction as the
-- alert's transition, whichever writer makes it (ingest's change-point
-- examination, the API's PATCH, the triage form, a later backend): no
-- transition is lost when the server stops, none is queued twice, and
-- nothing waits on a receiver inside a write.  The server's delivery
-- thread claims due rows (next_at), sends them and records the outcome;
-- a failed attempt is retried with exponential backoff until max attempts.
-- Times are milliseconds since the epoch, as elsewhere.
CREATE TABLE webhook (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    url         TEXT    NOT NULL,
    secret      TEXT    NOT NULL,
    format      TEXT    NOT NULL DEFAULT 'json'
                        CHECK (format IN ('json', 'slack')),
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_project ON webhook (project_id);

CREATE TABLE webhook_delivery (
    id           INTEGER PRIMARY KEY,
    webhook_id   INTEGER NOT NULL REFERENCES webhook(id) ON DELETE CASCADE,
    alert_id     INTEGER REFERENCES alert(id) ON DELETE SET NULL,
    event        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    next_at      INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    state        TEXT    NOT NULL DEFAULT 'pending'
                         CHECK (state IN ('pending', 'delivered', 'failed')),
    last_status  INTEGER,
    last_error   TEXT,
    delivered_at INTEGER
) STRICT;
CREATE INDEX webhook_delivery_due ON webhook_delivery (state, next_at);
CREATE INDEX webhook_delivery_hook ON webhook_delivery (webhook_id, id);
CREATE INDEX webhook_delivery_alert ON webhook_delivery (alert_id);

CREATE TRIGGER alert_opened_webhook AFTER INSERT ON alert
WHEN NEW.status = 'open'
BEGIN
    INSERT INTO webhook_delivery (webhook_id, alert_id, event, created_at,
                                  next_at)
    SELECT id, NEW.id, 'alert.opened',
           CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 0
    FROM webhook WHERE project_id = NEW.project_id;
END;

CREATE TRIGGER alert_status_webhook AFTER UPDATE OF status ON alert
WHEN NEW.status <> OLD.status
BEGIN
    INSERT INTO webhook_delivery (webhook_id, alert_id, event, created_at,
                                  next_at)
    SELECT id, NEW.id,
           CASE NEW.status WHEN 'open' THEN 'alert.reopened'
                           ELSE 'alert.' || NEW.status END,
           CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 0
    FROM webhook WHERE project_id = NEW.project_id;
END;
