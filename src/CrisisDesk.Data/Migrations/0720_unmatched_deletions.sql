-- A deletion of a post the incident never stored keeps its key here (no content), so that a re-delivered one (a
-- reconnect's rewind, a restart) is counted once in sources.deletions_unmatched rather than again each time.
CREATE TABLE unmatched_deletions (
    incident_id integer NOT NULL,
    platform    text NOT NULL,
    external_id text NOT NULL,
    source_id   integer NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (incident_id, platform, external_id)
);
