-- Knowledge base (docs/kb.md): entries, every version of each, the audit trail, unanswered questions,
-- and staff tokens for the admin API.
CREATE TABLE kb_entries (
    id                TEXT PRIMARY KEY,
    version           INTEGER NOT NULL,     -- the working version; the optimistic-concurrency token
    status            TEXT NOT NULL,        -- draft | in_review | published | archived
    published_version INTEGER,              -- the version customers are answered from, if any
    category          TEXT NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL,     -- Unix ms
    created_by        TEXT NOT NULL,
    updated_at        INTEGER NOT NULL,
    updated_by        TEXT NOT NULL
);
CREATE INDEX kb_entries_status ON kb_entries(status);

CREATE TABLE kb_versions (
    entry_id   TEXT NOT NULL REFERENCES kb_entries(id),
    version    INTEGER NOT NULL,
    status     TEXT NOT NULL,               -- the status this version reached (updated in place as it moves)
    action     TEXT NOT NULL,               -- create | update | import | rollback
    body       TEXT NOT NULL,               -- JSON: category, tags, effective dates, content per language
    author     TEXT NOT NULL,
    reviewer   TEXT,
    created_at INTEGER NOT NULL,
    reviewed_at INTEGER,
    PRIMARY KEY (entry_id, version)
) WITHOUT ROWID;

CREATE TABLE kb_audit (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,  -- also the change counter other processes poll
    at       INTEGER NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    version  INTEGER NOT NULL,
    detail   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX kb_audit_entry ON kb_audit(entry_id, seq);

CREATE TABLE kb_gaps (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    at              INTEGER NOT NULL,
    conversation_id TEXT,
    language        TEXT NOT NULL,
    text            TEXT NOT NULL,          -- PII masked
    decision        TEXT NOT NULL,          -- clarify | fallback
    best_id         TEXT,
    confidence      REAL NOT NULL
);
CREATE INDEX kb_gaps_at ON kb_gaps(at);

CREATE TABLE staff (
    name       TEXT PRIMARY KEY,
    role       TEXT NOT NULL,               -- agent | supervisor | kb_editor | analyst | admin
    token_hash TEXT NOT NULL UNIQUE,        -- SHA-256 of the token; the token itself is never stored
    created_at INTEGER NOT NULL,
    disabled   INTEGER NOT NULL DEFAULT 0
);
