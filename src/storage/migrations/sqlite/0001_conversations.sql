-- Conversations and their transcripts.
CREATE TABLE conversations (
    id            TEXT PRIMARY KEY,
    token_hash    TEXT NOT NULL,            -- SHA-256 of the access token; the token itself is never stored
    channel       TEXT NOT NULL,
    language      TEXT NOT NULL,
    customer_ref  TEXT,
    status        TEXT NOT NULL,            -- open | ended
    created_at    INTEGER NOT NULL,         -- Unix ms
    updated_at    INTEGER NOT NULL,
    ended_at      INTEGER,
    last_seq      INTEGER NOT NULL DEFAULT 0,
    state         TEXT NOT NULL DEFAULT '{}' -- dialogue state (JSON), owned by the dialogue manager
);
CREATE INDEX conversations_customer ON conversations(customer_ref) WHERE customer_ref IS NOT NULL;

CREATE TABLE messages (
    conversation_id   TEXT NOT NULL REFERENCES conversations(id),
    seq               INTEGER NOT NULL,
    id                TEXT NOT NULL,        -- 130 random bits: unique without an index
    role              TEXT NOT NULL,        -- customer | bot | agent | system
    text              TEXT NOT NULL,
    client_message_id TEXT,
    in_reply_to       INTEGER,
    meta              TEXT NOT NULL DEFAULT '{}',  -- JSON: quick replies, understanding
    created_at        INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX messages_client_id ON messages(conversation_id, client_message_id)
    WHERE client_message_id IS NOT NULL;
