-- A passphrase an administrator issued (a new account's first one, or one issued again):
-- when, so that it is changed by its owner before anything else and expires unused. NULL once
-- the owner has chosen their own.
ALTER TABLE staff ADD COLUMN passphrase_issued_at TEXT;
