-- The schema on PostgreSQL: the same tables and rules as migrations/sqlite/0001…0008, with
-- PostgreSQL's own types for numbers and flags. Ids are UUID text; times are RFC 3339 UTC text
-- to the second (as on SQLite, so text order is time order and both kinds hold the same
-- values); days are YYYY-MM-DD. Coded values hold the stable codes of app/src/domain.
-- Text compares byte by byte (COLLATE "C" on every text column), as SQLite does, so lists
-- sort alike on both.

CREATE TABLE agencies (
    id          TEXT COLLATE "C" PRIMARY KEY,
    kind        TEXT COLLATE "C" NOT NULL,
    name_ja     TEXT COLLATE "C" NOT NULL,
    name_en     TEXT COLLATE "C" NOT NULL,
    -- A welfare desk belongs to the welfare policy division; a business to its hub.
    parent_id   TEXT COLLATE "C" REFERENCES agencies(id)
);

CREATE TABLE staff (
    id                  TEXT COLLATE "C" PRIMARY KEY,
    login               TEXT COLLATE "C" NOT NULL UNIQUE,
    display_name        TEXT COLLATE "C" NOT NULL,
    role                TEXT COLLATE "C" NOT NULL,
    home_agency_id      TEXT COLLATE "C" NOT NULL REFERENCES agencies(id),
    acts_for_agency_id  TEXT COLLATE "C" NOT NULL REFERENCES agencies(id),
    -- The program a supervisor oversees (model_program / public_health_center).
    supervises          TEXT COLLATE "C",
    password_hash       TEXT COLLATE "C" NOT NULL,
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          TEXT COLLATE "C" NOT NULL,
    -- A passphrase an administrator issued: when, until its owner chooses their own.
    passphrase_issued_at TEXT COLLATE "C"
);

-- Server-side sessions. Only a hash of the token is stored.
CREATE TABLE sessions (
    token_hash      TEXT COLLATE "C" PRIMARY KEY,
    staff_id        TEXT COLLATE "C" NOT NULL REFERENCES staff(id),
    created_at      TEXT COLLATE "C" NOT NULL,
    last_seen_at    TEXT COLLATE "C" NOT NULL,
    idle_expires_at TEXT COLLATE "C" NOT NULL,
    expires_at      TEXT COLLATE "C" NOT NULL
);
CREATE INDEX sessions_by_staff ON sessions(staff_id);

CREATE TABLE cases (
    id               TEXT COLLATE "C" PRIMARY KEY,
    pseudonym        TEXT COLLATE "C" NOT NULL,
    intake_channel   TEXT COLLATE "C" NOT NULL,
    program          TEXT COLLATE "C" NOT NULL,
    intake_agency_id TEXT COLLATE "C" NOT NULL REFERENCES agencies(id),
    risk             TEXT COLLATE "C" NOT NULL,
    status           TEXT COLLATE "C" NOT NULL,
    life_goal        TEXT COLLATE "C" NOT NULL DEFAULT '',
    medical_view     TEXT COLLATE "C" NOT NULL DEFAULT '',
    welfare_view     TEXT COLLATE "C" NOT NULL DEFAULT '',
    opened_on        TEXT COLLATE "C" NOT NULL,
    closed_on        TEXT COLLATE "C",
    created_at       TEXT COLLATE "C" NOT NULL
);

-- The team: people join, nobody transfers a case away. Leaving is recorded, not deleted.
CREATE TABLE case_team (
    case_id    TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
    staff_id   TEXT COLLATE "C" NOT NULL REFERENCES staff(id),
    joined_at  TEXT COLLATE "C" NOT NULL,
    left_at    TEXT COLLATE "C",
    -- The change sequence at which a member left, so a pull can tell that device to purge.
    left_seq   BIGINT,
    PRIMARY KEY (case_id, staff_id)
);
CREATE INDEX case_team_by_staff ON case_team(staff_id);

-- Agencies involved with the person at intake and at close (the city's indicator).
CREATE TABLE case_agencies (
    case_id    TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
    phase      TEXT COLLATE "C" NOT NULL CHECK (phase IN ('intake', 'close')),
    agency_id  TEXT COLLATE "C" NOT NULL REFERENCES agencies(id),
    PRIMARY KEY (case_id, phase, agency_id)
);

CREATE TABLE visits (
    id             TEXT COLLATE "C" PRIMARY KEY,
    case_id        TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
    starts_at      TEXT COLLATE "C" NOT NULL,
    ends_at        TEXT COLLATE "C" NOT NULL,
    place          TEXT COLLATE "C" NOT NULL,
    status         TEXT COLLATE "C" NOT NULL,
    outcome        TEXT COLLATE "C" NOT NULL DEFAULT '',
    next_visit_on  TEXT COLLATE "C" NOT NULL DEFAULT '',
    CHECK (ends_at > starts_at)
);
CREATE INDEX visits_by_case ON visits(case_id);
CREATE INDEX visits_by_start ON visits(starts_at);

CREATE TABLE visit_members (
    visit_id  TEXT COLLATE "C" NOT NULL REFERENCES visits(id),
    staff_id  TEXT COLLATE "C" NOT NULL REFERENCES staff(id),
    PRIMARY KEY (visit_id, staff_id)
);
CREATE INDEX visit_members_by_staff ON visit_members(staff_id);

-- A note belongs to one visit and one author; its content lives in revisions.
CREATE TABLE notes (
    id                TEXT COLLATE "C" PRIMARY KEY,
    visit_id          TEXT COLLATE "C" NOT NULL REFERENCES visits(id),
    case_id           TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
    author_id         TEXT COLLATE "C" NOT NULL REFERENCES staff(id),
    acting_agency_id  TEXT COLLATE "C" NOT NULL REFERENCES agencies(id),
    created_at        TEXT COLLATE "C" NOT NULL
);
CREATE INDEX notes_by_case ON notes(case_id);

-- Revisions are append-only: an amendment is a new row, never an update.
CREATE TABLE note_revisions (
    note_id       TEXT COLLATE "C" NOT NULL REFERENCES notes(id),
    revision      BIGINT NOT NULL CHECK (revision >= 1),
    amends        BIGINT,
    author_id     TEXT COLLATE "C" NOT NULL REFERENCES staff(id),
    met           BOOLEAN NOT NULL,
    met_with      TEXT COLLATE "C" NOT NULL,
    mental_state  TEXT COLLATE "C" NOT NULL,
    medication    TEXT COLLATE "C" NOT NULL,
    daily_living  TEXT COLLATE "C" NOT NULL,
    risks         TEXT COLLATE "C" NOT NULL,
    agreed        TEXT COLLATE "C" NOT NULL,
    next_steps    TEXT COLLATE "C" NOT NULL,
    free_text     TEXT COLLATE "C" NOT NULL,
    recorded_at   TEXT COLLATE "C" NOT NULL,
    received_at   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (note_id, revision)
);

CREATE TABLE reviews (
    id           TEXT COLLATE "C" PRIMARY KEY,
    note_id      TEXT COLLATE "C" NOT NULL REFERENCES notes(id),
    revision     BIGINT NOT NULL,
    reviewer_id  TEXT COLLATE "C" NOT NULL REFERENCES staff(id),
    decision     TEXT COLLATE "C" NOT NULL CHECK (decision IN ('approve', 'return')),
    comment      TEXT COLLATE "C" NOT NULL DEFAULT '',
    decided_at   TEXT COLLATE "C" NOT NULL
);

-- Cooperating businesses registered with a hub under one of its five functions.
CREATE TABLE directory_entries (
    business_id  TEXT COLLATE "C" NOT NULL REFERENCES agencies(id),
    hub_id       TEXT COLLATE "C" NOT NULL REFERENCES agencies(id),
    function     TEXT COLLATE "C" NOT NULL,
    phone        TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (business_id, hub_id, function)
);

-- Who did what to which case, when, from which device (and the device's own clock).
-- Append-only: no code path updates or deletes it.
CREATE TABLE audit_log (
    id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at           TEXT COLLATE "C" NOT NULL,
    actor_id     TEXT COLLATE "C",
    actor_role   TEXT COLLATE "C",
    action       TEXT COLLATE "C" NOT NULL,
    case_id      TEXT COLLATE "C",
    record_id    TEXT COLLATE "C",
    outcome      TEXT COLLATE "C" NOT NULL,
    client_id    TEXT COLLATE "C",
    device_time  TEXT COLLATE "C"
);
CREATE INDEX audit_log_by_case ON audit_log(case_id);

-- Sync: devices and their mutation counters, with what each last reported waiting.
CREATE TABLE sync_clients (
    client_id         TEXT COLLATE "C" PRIMARY KEY,
    staff_id          TEXT COLLATE "C" NOT NULL REFERENCES staff(id),
    last_mutation_id  BIGINT NOT NULL DEFAULT 0,
    last_contact_at   TEXT COLLATE "C" NOT NULL,
    pending_since     TEXT COLLATE "C",
    revoked_at        TEXT COLLATE "C",
    revoked_by        TEXT COLLATE "C"
);

-- Every change a device may pull, in the server's order (see server/src/service/writes.rs for
-- why no number can commit behind a later one). `data` is the record's whole state as JSON.
CREATE TABLE change_log (
    seq        BIGINT PRIMARY KEY,
    case_id    TEXT COLLATE "C" NOT NULL,
    entity     TEXT COLLATE "C" NOT NULL,
    entity_id  TEXT COLLATE "C" NOT NULL,
    data       TEXT COLLATE "C" NOT NULL
);
CREATE INDEX change_log_by_case ON change_log(case_id, seq);

-- The version (change sequence) of the last write of each synced field, and who wrote it.
CREATE TABLE field_versions (
    entity      TEXT COLLATE "C" NOT NULL,
    entity_id   TEXT COLLATE "C" NOT NULL,
    field       TEXT COLLATE "C" NOT NULL,
    version     BIGINT NOT NULL,
    author_id   TEXT COLLATE "C",
    recorded_at TEXT COLLATE "C",
    PRIMARY KEY (entity, entity_id, field)
);

CREATE TABLE conflicts (
    id                   TEXT COLLATE "C" PRIMARY KEY,
    case_id              TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
    entity               TEXT COLLATE "C" NOT NULL,
    entity_id            TEXT COLLATE "C" NOT NULL,
    field                TEXT COLLATE "C" NOT NULL,
    winner_value         TEXT COLLATE "C" NOT NULL,
    winner_author_id     TEXT COLLATE "C" NOT NULL,
    winner_recorded_at   TEXT COLLATE "C" NOT NULL,
    replaced_value       TEXT COLLATE "C" NOT NULL,
    replaced_author_id   TEXT COLLATE "C",
    replaced_recorded_at TEXT COLLATE "C",
    created_seq          BIGINT NOT NULL,
    resolved_at          TEXT COLLATE "C",
    resolved_by          TEXT COLLATE "C"
);
CREATE INDEX conflicts_open ON conflicts(case_id) WHERE resolved_at IS NULL;

-- Rejected mutations are kept with their content: nothing typed is dropped.
CREATE TABLE rejected_mutations (
    client_id    TEXT COLLATE "C" NOT NULL,
    mutation_id  BIGINT NOT NULL,
    staff_id     TEXT COLLATE "C" NOT NULL,
    reason       TEXT COLLATE "C" NOT NULL,
    body         TEXT COLLATE "C" NOT NULL,
    at           TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (client_id, mutation_id)
);

-- Failed sign-ins in a row per login name (known or not) and until when it is paused.
CREATE TABLE login_failures (
    login         TEXT COLLATE "C" PRIMARY KEY,
    failures      BIGINT NOT NULL,
    paused_until  TEXT COLLATE "C"
);

-- The second factor: the TOTP secret in force with the last step used, a secret being set up,
-- and one-time recovery codes as SHA-256 hashes.
CREATE TABLE second_factors (
    staff_id        TEXT COLLATE "C" PRIMARY KEY REFERENCES staff(id),
    secret          TEXT COLLATE "C",
    pending_secret  TEXT COLLATE "C",
    confirmed_at    TEXT COLLATE "C",
    last_step       BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE recovery_codes (
    staff_id   TEXT COLLATE "C" NOT NULL REFERENCES staff(id),
    code_hash  TEXT COLLATE "C" NOT NULL,
    used_at    TEXT COLLATE "C",
    PRIMARY KEY (staff_id, code_hash)
);

-- Break-glass openings: kept for the audit, so never changed or removed.
CREATE TABLE break_glass (
    id          TEXT COLLATE "C" PRIMARY KEY,
    staff_id    TEXT COLLATE "C" NOT NULL REFERENCES staff(id),
    case_id     TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
    reason      TEXT COLLATE "C" NOT NULL,
    opened_at   TEXT COLLATE "C" NOT NULL,
    expires_at  TEXT COLLATE "C" NOT NULL
);
CREATE INDEX break_glass_by_staff ON break_glass(staff_id, case_id, expires_at);

-- What is kept as it was: note revisions, the audit log and break-glass openings.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% are kept as they were', TG_ARGV[0];
END
$$;
CREATE TRIGGER note_revisions_no_change BEFORE UPDATE OR DELETE ON note_revisions
    FOR EACH ROW EXECUTE FUNCTION refuse_change('note revisions');
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change('audit events');
CREATE TRIGGER break_glass_no_change BEFORE UPDATE OR DELETE ON break_glass
    FOR EACH ROW EXECUTE FUNCTION refuse_change('break-glass openings');
CREATE TRIGGER note_revisions_no_truncate BEFORE TRUNCATE ON note_revisions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('note revisions');
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('audit events');
CREATE TRIGGER break_glass_no_truncate BEFORE TRUNCATE ON break_glass
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('break-glass openings');
