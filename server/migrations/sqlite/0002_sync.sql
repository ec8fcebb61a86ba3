-- Sync: devices and their mutation counters, the change log, per-field versions, conflicts,
-- and rejected mutations (kept with their content: nothing typed is dropped).

CREATE TABLE sync_clients (
    client_id         TEXT PRIMARY KEY,
    staff_id          TEXT NOT NULL REFERENCES staff(id),
    last_mutation_id  INTEGER NOT NULL DEFAULT 0,
    last_contact_at   TEXT NOT NULL
);

-- Every change a device may pull, in the server's order. `data` is the record's whole state
-- as JSON, so applying a change twice is harmless.
CREATE TABLE change_log (
    seq        INTEGER PRIMARY KEY,
    case_id    TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    data       TEXT NOT NULL
);
CREATE INDEX change_log_by_case ON change_log(case_id, seq);

-- The version (change sequence) of the last write of each synced field, and who wrote it.
CREATE TABLE field_versions (
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    field      TEXT NOT NULL,
    version    INTEGER NOT NULL,
    author_id  TEXT,
    recorded_at TEXT,
    PRIMARY KEY (entity, entity_id, field)
);

CREATE TABLE conflicts (
    id                  TEXT PRIMARY KEY,
    case_id             TEXT NOT NULL REFERENCES cases(id),
    entity              TEXT NOT NULL,
    entity_id           TEXT NOT NULL,
    field               TEXT NOT NULL,
    winner_value        TEXT NOT NULL,
    winner_author_id    TEXT NOT NULL,
    winner_recorded_at  TEXT NOT NULL,
    replaced_value      TEXT NOT NULL,
    replaced_author_id  TEXT,
    replaced_recorded_at TEXT,
    created_seq         INTEGER NOT NULL,
    resolved_at         TEXT,
    resolved_by         TEXT
);
CREATE INDEX conflicts_open ON conflicts(case_id) WHERE resolved_at IS NULL;

CREATE TABLE rejected_mutations (
    client_id    TEXT NOT NULL,
    mutation_id  INTEGER NOT NULL,
    staff_id     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    body         TEXT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (client_id, mutation_id)
);

ALTER TABLE visits ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE visits ADD COLUMN next_visit_on TEXT NOT NULL DEFAULT '';
-- The change sequence at which a member left, so a pull can tell that device to purge the case.
ALTER TABLE case_team ADD COLUMN left_seq INTEGER;
