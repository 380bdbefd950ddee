-- Recipient lists (issue 15): email and SMS lists that approved alerts and rebuttals can be published to, and the
-- per-recipient receipts that make a list delivery exactly-once per recipient through crashes. Unmapped in EF Core:
-- the RecipientLists feature reads and writes these with Dapper, like the outbox it extends.

-- A list, managed by Admins. Deleting a list keeps its row (deliveries point at it) and erases its recipients.
CREATE TABLE recipient_lists (
    id          serial PRIMARY KEY,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    kind        text NOT NULL CHECK (kind IN ('email', 'sms')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX recipient_lists_name_key ON recipient_lists (kind, lower(name)) WHERE deleted_at IS NULL;

-- Who is on a list: an email address (as given, compared case-insensitively) or an E.164 number.
CREATE TABLE list_recipients (
    id          bigserial PRIMARY KEY,
    list_id     integer NOT NULL REFERENCES recipient_lists (id) ON DELETE CASCADE,
    name        text NOT NULL DEFAULT '',
    address     text NOT NULL,
    added_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX list_recipients_address_key ON list_recipients (list_id, lower(address));

-- A delivery to a list: one row per (subject, list channel, list). The alert and rebuttal keys gain the list.
ALTER TABLE deliveries ADD COLUMN recipient_list_id integer REFERENCES recipient_lists (id);
DROP INDEX deliveries_alert_channel_key;
DROP INDEX deliveries_rebuttal_channel_key;
CREATE UNIQUE INDEX deliveries_alert_channel_key ON deliveries (alert_id, channel, coalesce(recipient_list_id, 0)) WHERE alert_id IS NOT NULL;
CREATE UNIQUE INDEX deliveries_rebuttal_channel_key ON deliveries (rebuttal_id, channel, coalesce(recipient_list_id, 0)) WHERE rebuttal_id IS NOT NULL;

-- The list as it stood when the delivery was queued (later edits change nobody's message), one row per recipient,
-- each claimed under its own lease before it is sent and closed with its receipt right after: a crash mid-list
-- neither skips nor repeats a recipient already recorded (docs/publishing.md says what the one in flight gets).
CREATE TABLE delivery_recipients (
    delivery_id   bigint NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    position      integer NOT NULL,
    name          text NOT NULL DEFAULT '',
    address       text NOT NULL,
    -- Stable across resends: the email's Message-Id, so a resend after a crash is the same message to mail clients.
    idempotency_key uuid NOT NULL,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts      integer NOT NULL DEFAULT 0,
    lease_until   timestamptz,
    receipt       text,
    last_error    text,
    sent_at       timestamptz,
    PRIMARY KEY (delivery_id, position)
);
