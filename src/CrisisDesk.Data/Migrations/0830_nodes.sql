-- Several ingest nodes share the sources (issue 13): each source is run by the one node that holds its lease. A node
-- takes a lease that is free or expired, renews those it holds about every second, and gives them back when it stops;
-- a node that dies stops renewing, and another takes its sources when the lease expires (a few seconds) and resumes
-- from the cursor. Times are the database's (now()), so the nodes' clocks do not matter. A batch is written only while
-- its node holds the lease (the writer reads the row FOR SHARE in the batch's transaction), so a node that lost its
-- lease without knowing (paused, cut off) cannot commit after another took over.
CREATE TABLE source_leases (
    source_id  integer PRIMARY KEY REFERENCES sources (id),
    node       text NOT NULL,
    expires_at timestamptz NOT NULL,
    taken_at   timestamptz NOT NULL DEFAULT now()
);

-- Outside subscribers of the feed hub (/hubs/feed): a read-only token each, created by an Admin, scoped to incidents,
-- revocable. Only the token's SHA-256 is kept (the token is 32 random bytes, shown once): a stolen copy of this table
-- opens nothing. A revoked token stays, for the record; the hub cuts its connections within a couple of seconds.
CREATE TABLE feed_subscribers (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL,
    token_hash   bytea NOT NULL UNIQUE,
    incident_ids integer[] NOT NULL,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_by   text,
    revoked_at   timestamptz
);

-- ASP.NET Core Data Protection's key ring, shared by every web node: a sign-in cookie or a form's antiforgery token made
-- by one node is read by the others (a browser sent to another node after a failure stays signed in), and survives
-- restarts. The keys are as sensitive as the database itself; they are not encrypted again here.
CREATE TABLE data_protection_keys (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    friendly_name text NOT NULL,
    xml          text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
