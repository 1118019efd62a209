-- The sandbox core bank (banking/sandbox_bank.hpp): the demo bank's customers, accounts, cards and history,
-- seeded from packs/demo/bank/sandbox.yaml. After loading, these tables are the source of truth (a frozen card
-- stays frozen); reloading the file replaces the content of every bank_ table.
-- Sensitive: full card and account numbers, ID numbers and phones are stored only because the core bank needs
-- them (a real core holds them too). Never log them unmasked.
-- Money is an integer count of cents with its ISO currency. Dates are local YYYY-MM-DD, times
-- YYYY-MM-DDTHH:MM:SS, as the core bank reports them.

CREATE TABLE bank_meta (
    key   TEXT PRIMARY KEY,                 -- fingerprint (SHA-256 of the file) | source | reference_date | as_of | loaded_at
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE bank_customers (
    id                 TEXT PRIMARY KEY,    -- c1001
    name_zh            TEXT NOT NULL,
    name_en            TEXT NOT NULL,
    preferred_language TEXT NOT NULL,       -- zh | en
    birth_date         TEXT NOT NULL,
    phone              TEXT NOT NULL UNIQUE,  -- E.164
    id_number          TEXT,
    passport           TEXT,
    email              TEXT NOT NULL,
    risk_level         TEXT NOT NULL,       -- R1..R5
    segment            TEXT NOT NULL,       -- mass | affluent | private
    marketing_opt_out  INTEGER NOT NULL,
    app_user           INTEGER NOT NULL,
    notes_zh           TEXT NOT NULL,
    notes_en           TEXT NOT NULL
);

CREATE TABLE bank_accounts (
    id            TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL REFERENCES bank_customers(id),
    position      INTEGER NOT NULL,         -- order in the file: transfers pay from the first usable one
    number        TEXT NOT NULL UNIQUE,
    last4         TEXT NOT NULL,
    type          TEXT NOT NULL,            -- savings | current | fixed_deposit
    currency      TEXT NOT NULL,
    balance_cents INTEGER NOT NULL,
    status        TEXT NOT NULL,            -- active | dormant | closed
    opened        TEXT NOT NULL
);
CREATE INDEX bank_accounts_customer ON bank_accounts(customer_id, position);

CREATE TABLE bank_cards (
    id                      TEXT PRIMARY KEY,
    customer_id             TEXT NOT NULL REFERENCES bank_customers(id),
    position                INTEGER NOT NULL,
    kind                    TEXT NOT NULL,  -- debit | credit
    number                  TEXT NOT NULL UNIQUE,
    last4                   TEXT NOT NULL UNIQUE,  -- with the birth date, identifies one customer
    account_id              TEXT REFERENCES bank_accounts(id),  -- debit only
    status                  TEXT NOT NULL,  -- active | frozen | lost | stolen | expired
    expires                 TEXT NOT NULL,  -- YYYY-MM
    credit_limit_cents      INTEGER,        -- credit only, from here on
    statement_day           INTEGER,
    due_day                 INTEGER,
    statement_balance_cents INTEGER,
    minimum_due_cents       INTEGER,
    statement_date          TEXT,
    due_date                TEXT,
    replacement_reference   TEXT,           -- RPL-…, once a replacement is ordered
    updated_at              TEXT            -- the last status change made through the adapter
);
CREATE INDEX bank_cards_customer ON bank_cards(customer_id, position);

CREATE TABLE bank_merchants (
    id       TEXT PRIMARY KEY,
    name_zh  TEXT NOT NULL,
    name_en  TEXT NOT NULL,
    category TEXT NOT NULL,
    country  TEXT NOT NULL,
    currency TEXT NOT NULL
);

CREATE TABLE bank_transactions (
    id                  TEXT PRIMARY KEY,   -- tx-c1001-00042, in time order per customer
    customer_id         TEXT NOT NULL REFERENCES bank_customers(id),
    account_id          TEXT NOT NULL DEFAULT '',  -- '' for a credit-card transaction
    card_id             TEXT NOT NULL DEFAULT '',  -- '' unless a card transaction
    time                TEXT NOT NULL,
    amount_cents        INTEGER NOT NULL,   -- negative for debits, in the posted currency
    currency            TEXT NOT NULL,
    original_cents      INTEGER,            -- the merchant's amount, when in another currency
    original_currency   TEXT,
    kind                TEXT NOT NULL,      -- card | income | transfer | transfer_return | fee
    merchant_id         TEXT NOT NULL DEFAULT '',
    category            TEXT NOT NULL DEFAULT '',
    description_zh      TEXT NOT NULL,
    description_en      TEXT NOT NULL,
    balance_after_cents INTEGER             -- the account's balance after it; NULL without an account
);
CREATE INDEX bank_transactions_customer_time ON bank_transactions(customer_id, time);
CREATE INDEX bank_transactions_merchant ON bank_transactions(merchant_id, time);

CREATE TABLE bank_transfers (
    reference       TEXT PRIMARY KEY,       -- TR + yyyymmdd + 6 digits
    customer_id     TEXT NOT NULL REFERENCES bank_customers(id),
    position        INTEGER NOT NULL,       -- order in the file: the customer's first is the most recent
    account_id      TEXT NOT NULL,          -- the paying account
    date            TEXT NOT NULL,
    to_name_zh      TEXT NOT NULL,
    to_name_en      TEXT NOT NULL,
    to_account_tail TEXT NOT NULL,
    amount_cents    INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL,          -- completed | pending | failed | returned
    channel         TEXT NOT NULL,
    reason_zh       TEXT,                   -- failed and returned only
    reason_en       TEXT
);
CREATE INDEX bank_transfers_customer ON bank_transfers(customer_id, date);

CREATE TABLE bank_complaints (
    reference       TEXT PRIMARY KEY,       -- CMP-YYYYMMDD-NNNNNN
    customer_id     TEXT NOT NULL REFERENCES bank_customers(id),
    category        TEXT NOT NULL,          -- fees | card | transfer | service | fraud | other
    description     TEXT NOT NULL,          -- the customer's words: may hold personal data
    channel         TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    language        TEXT NOT NULL,
    status          TEXT NOT NULL,          -- received
    created_at      TEXT NOT NULL
);
CREATE INDEX bank_complaints_customer ON bank_complaints(customer_id, created_at);

CREATE TABLE bank_products (
    id               TEXT PRIMARY KEY,
    position         INTEGER NOT NULL,
    type             TEXT NOT NULL,         -- deposit | wealth | card | loan | insurance
    name_zh          TEXT NOT NULL,
    name_en          TEXT NOT NULL,
    risk             TEXT NOT NULL,         -- R1..R5
    rate             TEXT NOT NULL DEFAULT '',
    currency         TEXT NOT NULL,
    min_amount_cents INTEGER NOT NULL,
    description_zh   TEXT NOT NULL,
    description_en   TEXT NOT NULL,
    suits            TEXT NOT NULL DEFAULT '{}'  -- JSON: who the product fits (packs/demo/bank/README.md)
);

-- Writes carrying an idempotency key: a retry with the same key returns the stored outcome instead of acting
-- again. `request` is what was asked (operation, customer, arguments), so a key reused for a different request
-- is refused rather than answered with someone else's outcome.
CREATE TABLE bank_idempotency (
    key        TEXT PRIMARY KEY,
    request    TEXT NOT NULL,
    result     TEXT NOT NULL,               -- JSON of the first outcome
    created_at TEXT NOT NULL
) WITHOUT ROWID;
