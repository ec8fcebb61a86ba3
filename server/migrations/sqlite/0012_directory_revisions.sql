-- The administrator keeps the directory. A retired listing is kept (a case may still name it)
-- and no longer shown. Every change takes the next revision; the highest is the version of the
-- reference data that a pull names, so devices fetch the directory again after a change.
ALTER TABLE directory_entries ADD COLUMN retired_at TEXT;
ALTER TABLE directory_entries ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
