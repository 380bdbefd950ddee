-- Full-text search moves off the write path (issue 2's ingest aim). The GIN index on posts.text cost about two thirds
-- of the server's CPU per stored post: psql \copy of the same rows ran at 28,500 posts/s with it and 87,500 without.
--
-- `post_search` holds each post's search document, written by the search indexer (SearchIndexer) shortly after the
-- posts commit, in id order per incident; `search_progress` says up to which post each incident is indexed. Search
-- reads the index up to that post and evaluates the few posts above it directly, so it finds a post the moment it
-- is stored. Edits and retention write the document in their own transaction, so it never shows replaced or erased words.
CREATE TABLE post_search (
    post_id     bigint PRIMARY KEY,
    incident_id integer NOT NULL,
    document    tsvector NOT NULL
);
CREATE INDEX post_search_document_idx ON post_search USING gin (document);

CREATE TABLE search_progress (
    incident_id     integer PRIMARY KEY,
    indexed_up_to   bigint NOT NULL
);

INSERT INTO post_search (post_id, incident_id, document)
SELECT id, incident_id, to_tsvector('simple'::regconfig, text) FROM posts;
INSERT INTO search_progress (incident_id, indexed_up_to)
SELECT incident_id, max(id) FROM posts GROUP BY incident_id;

DROP INDEX posts_text_fts_idx;
