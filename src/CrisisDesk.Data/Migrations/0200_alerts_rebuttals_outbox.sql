-- Emergency alerts (CAP 1.2), rebuttals with their versions and templates, and the delivery outbox.

-- One CAP message. An Update or Cancel is a message of its own that references earlier ones; thread_root_id ties
-- a thread together so its history reads in order. cap_xml is the document exactly as it is (or will be) published.
CREATE TABLE alerts (
    id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id      integer NOT NULL REFERENCES incidents (id),
    identifier       text NOT NULL UNIQUE,
    thread_root_id   integer REFERENCES alerts (id),
    msg_type         text NOT NULL CHECK (msg_type IN ('Alert', 'Update', 'Cancel')),
    cap_status       text NOT NULL,
    headline         text NOT NULL,
    cap_xml          text NOT NULL,
    state            text NOT NULL CHECK (state IN ('draft', 'submitted', 'approved', 'rejected')),
    author           text NOT NULL,
    -- Everyone who wrote any of it: none of them may approve it (two-person rule).
    editors          text[] NOT NULL,
    approver         text,
    decision_comment text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    decided_at       timestamptz
);
CREATE INDEX alerts_incident_idx ON alerts (incident_id, id);
CREATE INDEX alerts_thread_idx ON alerts (thread_root_id, id);

-- A rebuttal answers a rumour (rumour_id: the rumours feature's id; no foreign key so either feature can ship first)
-- or stands alone for its incident.
CREATE TABLE rebuttals (
    id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id      integer NOT NULL REFERENCES incidents (id),
    rumour_id        integer,
    title            text NOT NULL,
    state            text NOT NULL CHECK (state IN ('draft', 'submitted', 'approved', 'rejected', 'published')),
    version          integer NOT NULL DEFAULT 1,
    author           text NOT NULL,
    editors          text[] NOT NULL,
    approver         text,
    decision_comment text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    decided_at       timestamptz,
    published_at     timestamptz
);
CREATE INDEX rebuttals_incident_idx ON rebuttals (incident_id, id);
CREATE INDEX rebuttals_rumour_idx ON rebuttals (rumour_id) WHERE rumour_id IS NOT NULL;

-- Every saved version of a rebuttal's per-channel texts, never changed once written.
CREATE TABLE rebuttal_versions (
    rebuttal_id integer NOT NULL REFERENCES rebuttals (id),
    version     integer NOT NULL,
    variants    jsonb NOT NULL,
    edited_by   text NOT NULL,
    edited_at   timestamptz NOT NULL DEFAULT now(),
    note        text,
    PRIMARY KEY (rebuttal_id, version)
);

CREATE TABLE rebuttal_templates (
    id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL,
    variants   jsonb NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX rebuttal_templates_name_key ON rebuttal_templates (lower(name));

-- The transactional outbox: one row per (message, channel), written in the same transaction as the approval or
-- publication that asks for it. idempotency_key is stable across retries: it is the Mastodon Idempotency-Key, the
-- webhook's delivery id, and the seed of the Bluesky record key.
CREATE TABLE deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id     integer NOT NULL REFERENCES incidents (id),
    alert_id        integer REFERENCES alerts (id),
    rebuttal_id     integer REFERENCES rebuttals (id),
    channel         text NOT NULL,
    idempotency_key uuid NOT NULL UNIQUE,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'abandoned')),
    -- Dispatches so far, never reset: more than one means an earlier dispatch may have reached the channel.
    attempts        integer NOT NULL DEFAULT 0,
    -- attempts when a person last pressed retry: the dispatch budget counts from here.
    retry_base      integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- A dispatcher owns a row while it sends; a crashed dispatcher's lease runs out and another takes over.
    lease_until     timestamptz,
    receipt         text,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    CHECK ((alert_id IS NULL) <> (rebuttal_id IS NULL))
);
CREATE UNIQUE INDEX deliveries_alert_channel_key ON deliveries (alert_id, channel) WHERE alert_id IS NOT NULL;
CREATE UNIQUE INDEX deliveries_rebuttal_channel_key ON deliveries (rebuttal_id, channel) WHERE rebuttal_id IS NOT NULL;
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status = 'pending';
