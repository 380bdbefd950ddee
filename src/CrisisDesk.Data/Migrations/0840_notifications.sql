-- Notifications to people (issue 15): what each person wants to hear about and how to reach them, the notifications
-- themselves (the in-app inbox), and their email and SMS deliveries in the publishing outbox. Unmapped in EF Core:
-- the Notifications feature reads and writes these with Dapper, like the outbox it shares.

-- How to reach a person, and when not to (quiet hours, in the person's own time zone; urgent ones still go).
CREATE TABLE notification_settings (
    user_id     integer PRIMARY KEY REFERENCES users (id),
    email       text,
    phone       text,
    quiet_from  time,
    quiet_until time,
    time_zone   text NOT NULL DEFAULT 'UTC',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((quiet_from IS NULL) = (quiet_until IS NULL))
);

-- A person's own rule for one kind of notification; without one, the defaults of their role apply.
CREATE TABLE notification_rules (
    user_id      integer NOT NULL REFERENCES users (id),
    kind         text NOT NULL CHECK (kind IN ('spike', 'rumour', 'approval', 'delivery', 'source')),
    in_app       boolean NOT NULL,
    email        boolean NOT NULL,
    sms          boolean NOT NULL,
    -- For rumours: the least severity worth hearing about.
    min_severity text CHECK (min_severity IN ('Low', 'Medium', 'High', 'Critical')),
    PRIMARY KEY (user_id, kind)
);

-- One thing one person is told. dedupe_key names what happened (the event's seq, a spike's minute), so whatever
-- raises a notification twice (a restart, two nodes) tells each person once.
CREATE TABLE notifications (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         integer NOT NULL REFERENCES users (id),
    incident_id     integer NOT NULL REFERENCES incidents (id),
    kind            text NOT NULL,
    title           text NOT NULL,
    body            text NOT NULL,
    -- Site-relative path of the thing to act on (/incidents/3/alerts/12).
    link            text NOT NULL,
    urgent          boolean NOT NULL DEFAULT false,
    dedupe_key      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    read_at         timestamptz,
    acknowledged_at timestamptz,
    UNIQUE (user_id, dedupe_key)
);
CREATE INDEX notifications_user_idx ON notifications (user_id, id DESC);

-- How far the notifier has read the event log; advanced in the transaction that writes what it read into notifications.
-- It starts at the log's head: a new install tells nobody about the past.
CREATE TABLE notifier_cursor (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    last_seq bigint NOT NULL
);
INSERT INTO notifier_cursor (last_seq) SELECT COALESCE(max(seq), 0) FROM events;

-- Email and SMS notifications go through the same outbox as alerts and rebuttals (lease, retry, abandon, receipt).
ALTER TABLE deliveries ADD COLUMN notification_id bigint REFERENCES notifications (id);
ALTER TABLE deliveries DROP CONSTRAINT deliveries_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_one_subject CHECK (num_nonnulls(alert_id, rebuttal_id, notification_id) = 1);
CREATE UNIQUE INDEX deliveries_notification_channel_key ON deliveries (notification_id, channel) WHERE notification_id IS NOT NULL;

-- Who is told next when nobody acknowledges an approval request or an urgent notification in time: the incident's
-- rota, else the default rota (incident_id NULL), in position order.
CREATE TABLE escalation_rotas (
    incident_id integer REFERENCES incidents (id),
    position    integer NOT NULL,
    user_id     integer NOT NULL REFERENCES users (id),
    UNIQUE NULLS NOT DISTINCT (incident_id, position),
    UNIQUE NULLS NOT DISTINCT (incident_id, user_id)
);
ALTER TABLE notifications ADD COLUMN escalation_step integer NOT NULL DEFAULT 0;
CREATE INDEX notifications_unacknowledged_idx ON notifications (dedupe_key) WHERE acknowledged_at IS NULL;
