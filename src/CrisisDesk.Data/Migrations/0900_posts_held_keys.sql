-- Which of a batch's post keys an incident already holds (PostWriter's dedupe, before it COPYs the rest straight into
-- posts): one probe of posts_dedupe_key per key.
--
-- A function with a generic plan, because the statement with the incident's id in it was planned from statistics taken
-- before the incident grew: they said it held a handful of posts, and the planner either hashed all of them per batch
-- or walked posts_incident_platform_idx (incident, platform, id) filtering on external_id, 80 ms to 9 s a batch at
-- 300,000 posts (bench/CrisisDesk.Bench). A generic plan estimates an incident's posts from the table's size, not from
-- where the last ANALYZE caught this incident, and so probes the unique key whatever the statistics say.
CREATE FUNCTION posts_held_keys(incident integer, platforms text[], external_ids text[]) RETURNS SETOF integer
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    -- The 0-based position in the arrays of each key the incident holds.
    RETURN QUERY
    SELECT k.ord::integer - 1
      FROM unnest(platforms, external_ids) WITH ORDINALITY AS k (platform, external_id, ord)
     WHERE EXISTS (SELECT FROM posts p WHERE p.incident_id = incident AND p.platform = k.platform AND p.external_id = k.external_id);
END
$$;

-- The ids of an incident's posts with these keys, each with its 1-based position in the arrays: the posts a batch's
-- edits and deletions name (PostChangeWriter). A generic plan for the same reason. Joined to posts on the key, the
-- statements that store an edit's versions scanned all of the incident's posts once per edit from such statistics:
-- 870 ms for 200 edits at 30,000 posts.
CREATE FUNCTION posts_with_keys(incident integer, platforms text[], external_ids text[]) RETURNS TABLE (ord integer, id bigint)
LANGUAGE plpgsql STABLE ROWS 100
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN QUERY
    SELECT k.ord::integer, p.id
      FROM unnest(platforms, external_ids) WITH ORDINALITY AS k (platform, external_id, ord)
      JOIN posts p ON p.incident_id = incident AND p.platform = k.platform AND p.external_id = k.external_id;
END
$$;
