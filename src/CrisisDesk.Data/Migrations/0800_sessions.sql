-- Server-side sign-in sessions: the auth cookie carries only a random session token, whose SHA-256 is the id here, so
-- that sign-out, a role change, disabling an account or a password change ends the session on the server at once
-- (the cookie alone is no longer enough). Rows are kept after revocation as a record of who was signed in when.
CREATE TABLE sessions (
    id             text PRIMARY KEY,
    user_id        integer NOT NULL REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz,
    revoked_reason text,
    remote_address text
);
CREATE INDEX sessions_live_by_user ON sessions (user_id) WHERE revoked_at IS NULL;
