-- Where posts, other agencies' alerts and incidents are, in a form queried by area.
--
-- Not PostGIS: CrisisDesk runs on Debian's plain PostgreSQL (its own embedded cluster included), and PostGIS would be
-- one more server package every control room and test machine must install. The queries the map needs are "what lies
-- in this box" (a map view, an incident's area) over one incident's posts: a bounding box per row with a B-tree index
-- narrows them, and the exact test (point in polygon, point in circle) runs in code (CapShapes.Contains).
--
-- A post's place comes with the post, in extra (geo_south, geo_west, geo_north, geo_east as decimal text, set by the
-- normalisers: a tweet's coordinates as a point, its place's bounding box, an alert's areas), so that the ingest
-- path (binary COPY) is unchanged: the columns are generated from it.

-- Degrees from text, or null for anything that is not a plain decimal number within [lo, hi].
CREATE FUNCTION crisisdesk_degrees(value text, lo double precision, hi double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
        SELECT CASE WHEN value ~ '^-?[0-9]{1,3}(\.[0-9]{1,12})?$'
                    THEN CASE WHEN value::double precision BETWEEN lo AND hi THEN value::double precision END
               END
    $$;

ALTER TABLE posts
    ADD COLUMN geo_south double precision GENERATED ALWAYS AS (crisisdesk_degrees(extra ->> 'geo_south', -90, 90)) STORED,
    ADD COLUMN geo_west  double precision GENERATED ALWAYS AS (crisisdesk_degrees(extra ->> 'geo_west', -180, 180)) STORED,
    ADD COLUMN geo_north double precision GENERATED ALWAYS AS (crisisdesk_degrees(extra ->> 'geo_north', -90, 90)) STORED,
    ADD COLUMN geo_east  double precision GENERATED ALWAYS AS (crisisdesk_degrees(extra ->> 'geo_east', -180, 180)) STORED;

-- Located posts of an incident by latitude band; longitude and the exact shape are checked on the rows it finds.
CREATE INDEX posts_geo_idx ON posts (incident_id, geo_south, geo_north, geo_west, geo_east) WHERE geo_south IS NOT NULL;

-- An incident's area as drawn: CAP polygons and circles (text, as CAP writes them) and their bounding box.
ALTER TABLE incidents
    ADD COLUMN area_polygons text[] NOT NULL DEFAULT '{}',
    ADD COLUMN area_circles  text[] NOT NULL DEFAULT '{}',
    ADD COLUMN area_south double precision,
    ADD COLUMN area_west  double precision,
    ADD COLUMN area_north double precision,
    ADD COLUMN area_east  double precision;
