-- Issue 18: the organisation's own accounts per incident, replies in thread through the outbox, and the enquiries
-- inbox. Read and written with Npgsql/Dapper (not mapped by EF Core), like the outbox they feed.

-- Which X, Mastodon and Bluesky identities speak for the organisation in an incident. The credential is named, never
-- held: secret_name is read from CrisisDesk:Secrets:<name> when a reply is sent (as sources' tokenSecret is).
CREATE TABLE org_accounts (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id integer NOT NULL REFERENCES incidents (id),
    platform    text NOT NULL CHECK (platform IN ('x', 'mastodon', 'bluesky')),
    -- How residents mention it: @riversidecc (X), riverside@mastodon.example (Mastodon), riverside.bsky.social (Bluesky).
    handle      text NOT NULL CHECK (length(handle) BETWEEN 1 AND 200),
    -- The API root: https://api.x.com, the Mastodon instance, the Bluesky PDS.
    base_url    text NOT NULL,
    secret_name text NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (incident_id, platform)
);

-- The team's approval rule for replies: per channel and per role, whether a reply needs someone else's approval.
CREATE TABLE reply_rules (
    platform       text NOT NULL CHECK (platform IN ('x', 'mastodon', 'bluesky')),
    role           text NOT NULL CHECK (role IN ('Operator', 'Approver', 'Admin')),
    needs_approval boolean NOT NULL,
    PRIMARY KEY (platform, role)
);
-- By default an Operator's reply waits for an Approver; an Approver's or an Admin's goes out at once.
INSERT INTO reply_rules (platform, role, needs_approval)
SELECT p, r, r = 'Operator' FROM unnest(ARRAY['x', 'mastodon', 'bluesky']) p, unnest(ARRAY['Operator', 'Approver', 'Admin']) r;

-- What makes a post an enquiry (one row, Admin-tunable): a mention of one of the incident's accounts, and, when
-- require_question, also a question mark or one of the question words at the start of a sentence.
CREATE TABLE enquiry_rule (
    id               boolean PRIMARY KEY DEFAULT true CHECK (id),
    require_question boolean NOT NULL DEFAULT true,
    question_words   text[] NOT NULL DEFAULT ARRAY['who', 'what', 'when', 'where', 'why', 'how', 'is', 'are', 'can', 'could',
                                                   'should', 'will', 'do', 'does', 'did', 'has', 'have', 'any'],
    sla_minutes      integer NOT NULL DEFAULT 30 CHECK (sla_minutes BETWEEN 1 AND 10080),
    updated_by       text,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
INSERT INTO enquiry_rule DEFAULT VALUES;

-- A post that asks the organisation something, or one an operator marked "needs an answer". One per post.
CREATE TABLE enquiries (
    id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id      integer NOT NULL REFERENCES incidents (id),
    post_id          bigint NOT NULL,
    reason           text NOT NULL CHECK (reason IN ('mention', 'question', 'marked')),
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'no-answer-needed')),
    assigned_to      text,
    assigned_at      timestamptz,
    opened_by        text NOT NULL,
    opened_at        timestamptz NOT NULL DEFAULT now(),
    -- When the first reply went to the outbox: time to first answer is first_answered_at - opened_at.
    first_answered_at timestamptz,
    closed_at        timestamptz,
    UNIQUE (incident_id, post_id)
);
CREATE INDEX enquiries_open_idx ON enquiries (incident_id, opened_at) WHERE status = 'open';

-- A reply in thread to one post, as drafted and decided; sent through the outbox (deliveries.reply_id).
CREATE TABLE replies (
    id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id      integer NOT NULL REFERENCES incidents (id),
    post_id          bigint NOT NULL,
    enquiry_id       integer REFERENCES enquiries (id),
    platform         text NOT NULL CHECK (platform IN ('x', 'mastodon', 'bluesky')),
    text             text NOT NULL,
    rebuttal_id      integer REFERENCES rebuttals (id),
    state            text NOT NULL CHECK (state IN ('awaiting-approval', 'rejected', 'sent')),
    author           text NOT NULL,
    approver         text,
    decision_comment text,
    -- The parent's thread references, fixed when drafted: X tweet id; Mastodon status id and visibility; Bluesky
    -- parent and root (uri, cid).
    parent_ref       jsonb NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    -- X has no idempotency key: the deliveries.retry_base (the generation since the last person's retry) of a send that
    -- started and whose answer was not recorded. A later dispatch in the same generation
    -- reports "may have been sent" instead of sending again; a person's retry starts a new generation.
    unanswered_send_generation integer
);
CREATE INDEX replies_post_idx ON replies (post_id);
CREATE INDEX replies_enquiry_idx ON replies (enquiry_id) WHERE enquiry_id IS NOT NULL;

-- The outbox carries replies too: exactly one of alert, rebuttal, notification (0840), reply.
ALTER TABLE deliveries ADD COLUMN reply_id integer REFERENCES replies (id);
ALTER TABLE deliveries DROP CONSTRAINT deliveries_one_subject;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_one_subject CHECK (num_nonnulls(alert_id, rebuttal_id, notification_id, reply_id) = 1);
CREATE UNIQUE INDEX deliveries_reply_key ON deliveries (reply_id) WHERE reply_id IS NOT NULL;

-- How far the enquiry detector has read each incident's posts, so a restart neither misses nor re-reads them.
CREATE TABLE enquiry_scan (
    incident_id  integer PRIMARY KEY REFERENCES incidents (id),
    last_post_id bigint NOT NULL
);
