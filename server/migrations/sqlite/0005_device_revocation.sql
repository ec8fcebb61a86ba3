-- A lost device is revoked: from then on its pulls are refused (after it has pushed what it
-- could) and it wipes itself; who revoked it and when.
ALTER TABLE sync_clients ADD COLUMN revoked_at TEXT;
ALTER TABLE sync_clients ADD COLUMN revoked_by TEXT;
