-- Whether a point lies in an incident's drawn area, for the war room's "inside the incident area" feed filter: the
-- feed is paged and counted in SQL, so the exact test runs there too. The same rules as CapShapes.Contains in code
-- (even-odd polygons with a point on an edge inside; haversine circles on a 6,371.0088 km sphere); a test holds the
-- two to the same answers. The area's text was validated as CAP when it was drawn.
CREATE FUNCTION crisisdesk_in_cap_area(lat double precision, lon double precision, polygons text[], circles text[])
    RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
DECLARE
    shape text;
    pts text[];
    n int;
    i int;
    j int;
    y1 double precision; x1 double precision; y2 double precision; x2 double precision;
    inside boolean;
    parts text[];
    clat double precision; clon double precision; radius double precision; h double precision;
BEGIN
    IF lat IS NULL OR lon IS NULL THEN
        RETURN false;
    END IF;
    FOREACH shape IN ARRAY coalesce(polygons, '{}') LOOP
        pts := regexp_split_to_array(btrim(shape), '\s+');
        n := array_length(pts, 1);
        inside := false;
        j := n;
        FOR i IN 1..n LOOP
            y1 := split_part(pts[i], ',', 1)::double precision; x1 := split_part(pts[i], ',', 2)::double precision;
            y2 := split_part(pts[j], ',', 1)::double precision; x2 := split_part(pts[j], ',', 2)::double precision;
            -- On the edge counts as inside.
            IF abs((x2 - x1) * (lat - y1) - (y2 - y1) * (lon - x1)) < 1e-12
               AND lon BETWEEN least(x1, x2) AND greatest(x1, x2) AND lat BETWEEN least(y1, y2) AND greatest(y1, y2) THEN
                RETURN true;
            END IF;
            IF ((y1 > lat) <> (y2 > lat)) AND lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1 THEN
                inside := NOT inside;
            END IF;
            j := i;
        END LOOP;
        IF inside THEN
            RETURN true;
        END IF;
    END LOOP;
    FOREACH shape IN ARRAY coalesce(circles, '{}') LOOP
        parts := regexp_split_to_array(btrim(shape), '[\s,]+');
        clat := parts[1]::double precision; clon := parts[2]::double precision; radius := parts[3]::double precision;
        h := sin(radians(lat - clat) / 2) ^ 2 + cos(radians(clat)) * cos(radians(lat)) * sin(radians(lon - clon) / 2) ^ 2;
        IF 2 * 6371.0088 * asin(least(1, sqrt(h))) <= radius THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END
$$;
