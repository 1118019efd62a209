-- Tickets the desk owes for stored turns (docs/desk.md, "Tickets"): a hand-off nobody could take, a complaint
-- filed through the bot. A row is written in the same transaction as the turn that caused it and deleted in
-- the transaction that creates the ticket, so a crash between the two leaves the row, and the next start
-- creates the ticket: a customer told "we will get back to you" is never forgotten.
CREATE TABLE desk_pending_tickets (
    id              TEXT PRIMARY KEY,       -- pt_…
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    kind            TEXT NOT NULL,          -- handoff | complaint
    payload         TEXT NOT NULL,          -- JSON, the desk's
    created_at      INTEGER NOT NULL        -- Unix ms: the turn's time, the ticket's creation and SLA start
) WITHOUT ROWID;

-- The customer panel lists a customer's tickets (GET /api/v1/tickets?customer_ref=).
CREATE INDEX tickets_customer ON tickets(customer_ref) WHERE customer_ref IS NOT NULL;
