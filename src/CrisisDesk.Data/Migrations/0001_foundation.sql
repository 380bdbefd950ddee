-- Users, incidents, sources, posts, quarantine and the append-only event log.

CREATE TABLE users (
    id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_name     text NOT NULL,
    display_name  text NOT NULL,
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('Viewer', 'Operator', 'Approver', 'Admin')),
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_user_name_key ON users (lower(user_name));

CREATE TABLE incidents (
    id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL,
    keywords   text[] NOT NULL DEFAULT '{}',
    area       text,
    is_drill   boolean NOT NULL DEFAULT false,
    opened_at  timestamptz NOT NULL DEFAULT now(),
    closed_at  timestamptz
);

-- A configured source of posts for one incident, with its resumable cursor and its counters.
-- The cursor and counters change only in the transaction that stores the posts they describe.
CREATE TABLE sources (
    id             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id    integer NOT NULL REFERENCES incidents (id),
    kind           text NOT NULL,
    name           text NOT NULL,
    config         jsonb NOT NULL DEFAULT '{}',
    enabled        boolean NOT NULL DEFAULT true,
    cursor         text,
    posts_stored   bigint NOT NULL DEFAULT 0,
    quarantined    bigint NOT NULL DEFAULT 0,
    last_item_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sources_incident_idx ON sources (incident_id);

CREATE TABLE posts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id   integer NOT NULL REFERENCES incidents (id),
    source_id     integer NOT NULL REFERENCES sources (id),
    platform      text NOT NULL,
    external_id   text NOT NULL,
    created_at    timestamptz NOT NULL,
    received_at   timestamptz NOT NULL,
    author_handle text,
    author_name   text,
    text          text NOT NULL,
    url           text,
    lang          text,
    has_media     boolean NOT NULL DEFAULT false,
    extra         jsonb
);
-- The dedupe key: each platform item is stored once per incident, however often it is delivered.
CREATE UNIQUE INDEX posts_dedupe_key ON posts (incident_id, platform, external_id);
CREATE INDEX posts_incident_created_idx ON posts (incident_id, created_at);

-- Items a source delivered that could not be normalised: kept whole with the reason, never silently dropped.
CREATE TABLE quarantine (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id   integer NOT NULL REFERENCES sources (id),
    format      text NOT NULL,
    reason      text NOT NULL,
    payload     bytea NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quarantine_source_idx ON quarantine (source_id, id);

-- Append-only, hash-chained record of every operator action. Each row's hash covers the previous row's hash,
-- so an edited, inserted or deleted row breaks the chain from that point on.
CREATE TABLE events (
    seq         bigint PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    incident_id integer REFERENCES incidents (id),
    payload     jsonb NOT NULL DEFAULT '{}',
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL
);
CREATE INDEX events_incident_idx ON events (incident_id, seq);
CREATE INDEX events_actor_idx ON events (actor, seq);

-- The chain's head: one row, locked by each append so that appends are serialised and seq has no gaps.
CREATE TABLE event_chain_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_seq  bigint NOT NULL,
    last_hash bytea NOT NULL
);
INSERT INTO event_chain_head (last_seq, last_hash) VALUES (0, '\x0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events is append-only: % is not allowed', TG_OP;
END $$;
CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_are_append_only();
