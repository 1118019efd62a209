-- The human desk (docs/desk.md): staff sign-in, hand-offs and chats with agents, notes, CSAT, tickets.

-- Staff sign-in. A member may have a password (argon2id, libsodium's crypto_pwhash_str format), an API token
-- (token_hash, from migration 0002), or both. Routing attributes are JSON lists.
ALTER TABLE staff ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE staff ADD COLUMN password_hash TEXT;
ALTER TABLE staff ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN locked_until INTEGER NOT NULL DEFAULT 0;          -- Unix ms
ALTER TABLE staff ADD COLUMN skills TEXT NOT NULL DEFAULT '["general"]';
ALTER TABLE staff ADD COLUMN languages TEXT NOT NULL DEFAULT '["zh","en"]';
ALTER TABLE staff ADD COLUMN max_chats INTEGER NOT NULL DEFAULT 3;

CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,            -- SHA-256 of the session token; the token itself is never stored
    staff      TEXT NOT NULL REFERENCES staff(name),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL             -- Unix ms; extended while the session is used
) WITHOUT ROWID;
CREATE INDEX staff_sessions_staff ON staff_sessions(staff);

-- Who has the conversation: the bot, the desk's queue, or an agent. Changed in the same transaction as the
-- turn or desk action that changes it.
ALTER TABLE conversations ADD COLUMN desk_status TEXT NOT NULL DEFAULT 'bot';   -- bot | queued | assigned
ALTER TABLE conversations ADD COLUMN desk_chat TEXT;                            -- the open desk_chats.id

-- One hand-off episode: from the queue to an agent to its end (or to a ticket when nobody could take it).
CREATE TABLE desk_chats (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    status          TEXT NOT NULL,          -- queued | assigned | ended | returned | ticketed
    skill           TEXT NOT NULL,
    language        TEXT NOT NULL,
    priority        INTEGER NOT NULL DEFAULT 0,   -- 2 VIP, 1 unhappy, 0 normal
    reason          TEXT NOT NULL,          -- request | fallback | flow | anger | vip | transfer
    agent           TEXT,
    queued_at       INTEGER NOT NULL,
    assigned_at     INTEGER,
    ended_at        INTEGER,
    wrap_up         TEXT,
    ticket_id       TEXT
);
CREATE INDEX desk_chats_open ON desk_chats(status) WHERE status IN ('queued', 'assigned');
CREATE INDEX desk_chats_conversation ON desk_chats(conversation_id);

CREATE TABLE desk_notes (
    chat_id    TEXT NOT NULL REFERENCES desk_chats(id),
    author     TEXT NOT NULL,
    text       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX desk_notes_chat ON desk_notes(chat_id);

CREATE TABLE csat (
    chat_id         TEXT PRIMARY KEY REFERENCES desk_chats(id),
    conversation_id TEXT NOT NULL,
    agent           TEXT,
    score           INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment         TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
) WITHOUT ROWID;

-- Work orders. Times are Unix ms.
CREATE TABLE tickets (
    id              TEXT PRIMARY KEY,       -- TK-YYYYMMDD-NNNN
    type            TEXT NOT NULL,          -- complaint | callback | card | transfer | account | other
    priority        TEXT NOT NULL,          -- low | normal | high | urgent
    status          TEXT NOT NULL,          -- new | open | pending | resolved | closed
    subject         TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    customer_ref    TEXT,
    conversation_id TEXT,
    complaint_ref   TEXT,
    assignee        TEXT,
    created_by      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    due_at          INTEGER NOT NULL,
    breached_at     INTEGER,
    source          TEXT NOT NULL DEFAULT 'api'   -- api | agent | handoff | complaint
);
CREATE INDEX tickets_status ON tickets(status);
CREATE INDEX tickets_due ON tickets(due_at) WHERE breached_at IS NULL AND status IN ('new', 'open', 'pending');
CREATE INDEX tickets_conversation ON tickets(conversation_id) WHERE conversation_id IS NOT NULL;

CREATE TABLE ticket_events (
    ticket_id  TEXT NOT NULL REFERENCES tickets(id),
    seq        INTEGER NOT NULL,
    kind       TEXT NOT NULL,               -- created | status | priority | assignee | comment | sla_breached
    actor      TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '{}',  -- JSON: {from, to} or {text, public}
    created_at INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, seq)
) WITHOUT ROWID;
