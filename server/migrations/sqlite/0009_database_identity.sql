-- The database's identity, one row: made at a server's first start over the database, and made
-- anew after `server restore` (which deletes it). Devices send the identity they last synced
-- with; a restored database has another, so they pull afresh and send again what they hold
-- that it may lack.
CREATE TABLE database_identity (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    id         TEXT NOT NULL
);
