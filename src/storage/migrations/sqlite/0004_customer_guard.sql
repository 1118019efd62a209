-- Per-customer state the dialogue manager keeps across conversations (docs/flows.md, "Verification"):
-- failed verification attempts and their lockout, and the customer's choice to get no product suggestions.
CREATE TABLE customer_guard (
    customer_ref      TEXT PRIMARY KEY,
    failures          INTEGER NOT NULL DEFAULT 0,  -- failed verifications since the last success or lockout
    locked_until      INTEGER NOT NULL DEFAULT 0,  -- Unix ms; verification refused until then
    marketing_opt_out INTEGER NOT NULL DEFAULT 0,  -- 1: never suggest products
    updated_at        INTEGER NOT NULL
) WITHOUT ROWID;
