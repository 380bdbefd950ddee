-- The two foreign keys on posts cost about half the server's work per stored post (measured by bench/CrisisDesk.Bench:
-- 28 µs of server CPU per post with them, 14.7 without). The only writer, PostWriter, takes both ids from the sources
-- row it updates in the same transaction, and refuses the batch when that row does not exist, so they add no safety.
ALTER TABLE posts DROP CONSTRAINT IF EXISTS posts_incident_id_fkey;
ALTER TABLE posts DROP CONSTRAINT IF EXISTS posts_source_id_fkey;
