-- A removed source is kept (its posts and quarantine rows refer to it) but no longer listed or runnable.
-- Removal also clears `enabled`, so the ingest host never starts it again.
ALTER TABLE sources ADD COLUMN removed_at timestamptz;
