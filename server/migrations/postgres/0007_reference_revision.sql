-- The version of the reference data (staff, agencies, the directory) that a pull names: one
-- row, written by every change to them, so devices fetch the reference data again after a new
-- account as after a directory edit. It is the time of the change in milliseconds (one more
-- than the last when the clock is behind), so a change made after a restore takes a version
-- no device held before it. No row until the first change: the version is then 0.
CREATE TABLE reference_revision (
    singleton  BIGINT PRIMARY KEY CHECK (singleton = 1),
    revision   BIGINT NOT NULL
);
-- It takes over from the directory's own revisions, which nothing reads any longer.
ALTER TABLE directory_entries DROP COLUMN revision;
