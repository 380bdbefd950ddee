-- Review: replay "as of T" seeks posts by arrival time; retention marks posts whose content it erased.

-- Replay asks "the newest posts received by T" and "how many arrived in this minute": both walk this index only.
CREATE INDEX posts_incident_received_idx ON posts (incident_id, received_at, id);

-- Set when retention erased the post's text and author details; the row (and so every count) stays.
ALTER TABLE posts ADD COLUMN erased_at timestamptz;
-- Retention looks for posts old enough and not yet erased.
CREATE INDEX posts_retention_idx ON posts (received_at) WHERE erased_at IS NULL;

-- The audit view pages newest first, filtered by action and time.
CREATE INDEX events_action_idx ON events (action, seq);
CREATE INDEX events_at_idx ON events (at);

-- Retention also erases quarantined payloads (raw posts) of the same age, keeping the row and its reason.
ALTER TABLE quarantine ADD COLUMN erased_at timestamptz;
