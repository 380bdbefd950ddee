-- The war room's feed (newest first below an anchor: TriageQueries.PageAsync, HeadAsync) walks this index backwards,
-- whatever the planner's statistics say. Without it, a fresh database (before its first ANALYZE) or a new incident the
-- statistics do not know planned the feed as a sort of the whole incident: 55 ms instead of 0.2 ms at 35,000 posts,
-- four times a second per open war room. Inserting 200,000 posts took the same time with it, within the noise
-- (measured with psql on this machine; the GIN full-text index dominates the write).
CREATE INDEX IF NOT EXISTS posts_incident_id_idx ON posts (incident_id, id);
