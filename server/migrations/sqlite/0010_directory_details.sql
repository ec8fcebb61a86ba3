-- What a cooperating business offers under each function, and when it can be reached: the
-- directory screen shows them to a worker looking for a bed, a place or a desk.
ALTER TABLE directory_entries ADD COLUMN offers TEXT NOT NULL DEFAULT '';
ALTER TABLE directory_entries ADD COLUMN hours TEXT NOT NULL DEFAULT '';
