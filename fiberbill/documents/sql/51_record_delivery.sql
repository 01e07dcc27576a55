-- Delivery, step 51: record one attempt to e-mail a document (append-only): `sending`
-- before the mail server is asked, then `sent` or `failed` with the server's reason.
-- Reads: $number, $recipient, $status, $reason. Writes: ledger.document_deliveries.
-- Rule: a refused recipient is ('INV-2026-000002', 'x@example.com', 'failed',
-- '550 mailbox unavailable').
insert into ledger.document_deliveries
values ($number, $recipient, $status, $reason, now());
