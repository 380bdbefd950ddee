-- Stories (near-duplicate groups from the pipeline's cluster stage), full-text search, triage marks and rumours.

-- Story ids come from this sequence, taken by the cluster stage before the batch's transaction: a sequence value is
-- never handed out twice, even when the transaction that was to use it rolls back, so a retried batch keeps its ids.
CREATE SEQUENCE stories_id_seq;

CREATE TABLE stories (
    id                bigint PRIMARY KEY,
    incident_id       integer NOT NULL REFERENCES incidents (id),
    size              integer NOT NULL,
    first_post_id     bigint NOT NULL,
    first_post_at     timestamptz NOT NULL,
    latest_post_at    timestamptz NOT NULL,
    growth_per_minute double precision NOT NULL DEFAULT 0,
    sample_text       text NOT NULL
);
CREATE INDEX stories_incident_latest_idx ON stories (incident_id, latest_post_at DESC);

-- Written in the same transaction as the story row it names; deferred because both are written by one statement.
ALTER TABLE posts ADD COLUMN story_id bigint REFERENCES stories (id) DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX posts_story_idx ON posts (story_id, created_at) WHERE story_id IS NOT NULL;

-- Language-neutral full-text search: posts come in every language, so no stemming, no stop words.
CREATE INDEX posts_text_fts_idx ON posts USING gin (to_tsvector('simple'::regconfig, text));
CREATE INDEX posts_incident_platform_idx ON posts (incident_id, platform, id);

-- Triage marks on a post (one row per post, written by the post.flagged / post.reviewed commands).
CREATE TABLE post_triage (
    post_id      bigint PRIMARY KEY REFERENCES posts (id),
    incident_id  integer NOT NULL REFERENCES incidents (id),
    flagged_at   timestamptz,
    flagged_by   text,
    reviewed_at  timestamptz,
    reviewed_by  text
);
CREATE INDEX post_triage_incident_idx ON post_triage (incident_id);

CREATE TABLE rumours (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id integer NOT NULL REFERENCES incidents (id),
    claim       text NOT NULL,
    severity    text NOT NULL CHECK (severity IN ('Low', 'Medium', 'High', 'Critical')),
    owner       text NOT NULL,
    status      text NOT NULL CHECK (status IN ('New', 'Investigating', 'ConfirmedFalse', 'ConfirmedTrue', 'Unverified', 'Resolved')),
    keywords    text[] NOT NULL DEFAULT '{}',
    -- Optimistic concurrency: every change names the version it saw and bumps it.
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rumours_incident_idx ON rumours (incident_id, id);

-- The rumour's history as people wrote it: each status change with its note, and plain notes.
CREATE TABLE rumour_notes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rumour_id   integer NOT NULL REFERENCES rumours (id),
    at          timestamptz NOT NULL DEFAULT now(),
    author      text NOT NULL,
    from_status text,
    to_status   text,
    note        text NOT NULL DEFAULT ''
);
CREATE INDEX rumour_notes_rumour_idx ON rumour_notes (rumour_id, id);

CREATE TABLE rumour_posts (
    rumour_id integer NOT NULL REFERENCES rumours (id),
    post_id   bigint NOT NULL REFERENCES posts (id),
    linked_at timestamptz NOT NULL DEFAULT now(),
    linked_by text NOT NULL,
    PRIMARY KEY (rumour_id, post_id)
);
CREATE INDEX rumour_posts_post_idx ON rumour_posts (post_id);

CREATE TABLE rumour_stories (
    rumour_id integer NOT NULL REFERENCES rumours (id),
    story_id  bigint NOT NULL REFERENCES stories (id),
    linked_at timestamptz NOT NULL DEFAULT now(),
    linked_by text NOT NULL,
    PRIMARY KEY (rumour_id, story_id)
);
CREATE INDEX rumour_stories_story_idx ON rumour_stories (story_id);

-- A story that looks like a tracked rumour, proposed by the suggester and decided by a person. A decided suggestion is
-- kept (who, when, which way) and the same story is never proposed again for that rumour; a rejection changes no rule.
CREATE TABLE rumour_suggestions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rumour_id   integer NOT NULL REFERENCES rumours (id),
    story_id    bigint NOT NULL REFERENCES stories (id),
    post_id     bigint NOT NULL REFERENCES posts (id),
    score       double precision NOT NULL,
    reason      text NOT NULL,
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'confirmed', 'rejected')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    decided_by  text,
    decided_at  timestamptz,
    UNIQUE (rumour_id, story_id)
);
CREATE INDEX rumour_suggestions_pending_idx ON rumour_suggestions (rumour_id) WHERE state = 'pending';
