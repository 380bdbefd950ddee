-- Edits and deletions from the streaming sources (issue 3): every version of a post is kept, a deletion is marked.
--
-- `posts` shows the latest version: its text (and so the full-text index, which search uses, and every view that reads
-- posts) is the newest version's, and `edited_at` says when the author made that version (null: never edited).
-- `post_versions` keeps every version received, the original included, but only for posts that were edited: the first
-- edit of a post copies the post's text as it stood into it, so an ordinary post costs nothing here.
-- A deletion sets `deleted_at` (when CrisisDesk received it) and keeps the text for the record.
ALTER TABLE posts ADD COLUMN edited_at timestamptz;
ALTER TABLE posts ADD COLUMN deleted_at timestamptz;

CREATE TABLE post_versions (
    post_id     bigint NOT NULL REFERENCES posts (id),
    -- The platform's name for the version (Mastodon: the edited_at time; Bluesky: the record's CID), or 'original'
    -- for a first version that had none. Keyed with the post, so a re-delivered edit is stored once.
    version     text NOT NULL,
    -- The post as first stored, before any edit (false for a post first stored from an edit: its earlier text is unknown).
    original    boolean NOT NULL DEFAULT false,
    text        text NOT NULL,
    -- When the author made this version (the post's created_at for the original), and when CrisisDesk received it.
    version_at  timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    extra       jsonb,
    PRIMARY KEY (post_id, version)
);

-- What each source's edits and deletions did: versions stored, posts marked deleted, and deletions of posts this
-- incident never stored (counted per delivery, not quarantined: a platform sends many, and they leave nothing to dedupe).
ALTER TABLE sources ADD COLUMN edits_stored bigint NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN deletions_applied bigint NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN deletions_unmatched bigint NOT NULL DEFAULT 0;
