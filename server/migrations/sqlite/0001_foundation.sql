-- Foundation schema. Ids are UUID text; times are RFC 3339 UTC text; days are YYYY-MM-DD.
-- Coded values (kinds, roles, statuses) hold the stable codes of app/src/domain.

CREATE TABLE agencies (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    name_ja     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    -- A welfare desk belongs to the welfare policy division; a business to its hub.
    parent_id   TEXT REFERENCES agencies(id)
);

CREATE TABLE staff (
    id                  TEXT PRIMARY KEY,
    login               TEXT NOT NULL UNIQUE,
    display_name        TEXT NOT NULL,
    role                TEXT NOT NULL,
    home_agency_id      TEXT NOT NULL REFERENCES agencies(id),
    acts_for_agency_id  TEXT NOT NULL REFERENCES agencies(id),
    -- The program a supervisor oversees (model_program / public_health_center).
    supervises          TEXT,
    password_hash       TEXT NOT NULL,
    disabled            INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL
);

-- Server-side sessions. Only a hash of the token is stored, so a copy of the database
-- cannot be used to take over a session.
CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    staff_id      TEXT NOT NULL REFERENCES staff(id),
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    idle_expires_at TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
CREATE INDEX sessions_by_staff ON sessions(staff_id);

CREATE TABLE cases (
    id              TEXT PRIMARY KEY,
    pseudonym       TEXT NOT NULL,
    intake_channel  TEXT NOT NULL,
    program         TEXT NOT NULL,
    intake_agency_id TEXT NOT NULL REFERENCES agencies(id),
    risk            TEXT NOT NULL,
    status          TEXT NOT NULL,
    life_goal       TEXT NOT NULL DEFAULT '',
    medical_view    TEXT NOT NULL DEFAULT '',
    welfare_view    TEXT NOT NULL DEFAULT '',
    opened_on       TEXT NOT NULL,
    closed_on       TEXT,
    created_at      TEXT NOT NULL
);

-- The team: people join, nobody transfers a case away. Leaving is recorded, not deleted.
CREATE TABLE case_team (
    case_id    TEXT NOT NULL REFERENCES cases(id),
    staff_id   TEXT NOT NULL REFERENCES staff(id),
    joined_at  TEXT NOT NULL,
    left_at    TEXT,
    PRIMARY KEY (case_id, staff_id)
);
CREATE INDEX case_team_by_staff ON case_team(staff_id);

-- Agencies involved with the person at intake and at close (the city's indicator).
CREATE TABLE case_agencies (
    case_id    TEXT NOT NULL REFERENCES cases(id),
    phase      TEXT NOT NULL CHECK (phase IN ('intake', 'close')),
    agency_id  TEXT NOT NULL REFERENCES agencies(id),
    PRIMARY KEY (case_id, phase, agency_id)
);

CREATE TABLE visits (
    id         TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases(id),
    starts_at  TEXT NOT NULL,
    ends_at    TEXT NOT NULL,
    place      TEXT NOT NULL,
    status     TEXT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX visits_by_case ON visits(case_id);
CREATE INDEX visits_by_start ON visits(starts_at);

CREATE TABLE visit_members (
    visit_id  TEXT NOT NULL REFERENCES visits(id),
    staff_id  TEXT NOT NULL REFERENCES staff(id),
    PRIMARY KEY (visit_id, staff_id)
);
CREATE INDEX visit_members_by_staff ON visit_members(staff_id);

-- A note belongs to one visit and one author; its content lives in revisions.
CREATE TABLE notes (
    id                TEXT PRIMARY KEY,
    visit_id          TEXT NOT NULL REFERENCES visits(id),
    case_id           TEXT NOT NULL REFERENCES cases(id),
    author_id         TEXT NOT NULL REFERENCES staff(id),
    acting_agency_id  TEXT NOT NULL REFERENCES agencies(id),
    created_at        TEXT NOT NULL
);
CREATE INDEX notes_by_case ON notes(case_id);

-- Revisions are append-only: an amendment is a new row, never an update.
CREATE TABLE note_revisions (
    note_id       TEXT NOT NULL REFERENCES notes(id),
    revision      INTEGER NOT NULL CHECK (revision >= 1),
    amends        INTEGER,
    author_id     TEXT NOT NULL REFERENCES staff(id),
    met           INTEGER NOT NULL,
    met_with      TEXT NOT NULL,
    mental_state  TEXT NOT NULL,
    medication    TEXT NOT NULL,
    daily_living  TEXT NOT NULL,
    risks         TEXT NOT NULL,
    agreed        TEXT NOT NULL,
    next_steps    TEXT NOT NULL,
    free_text     TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    PRIMARY KEY (note_id, revision)
);
CREATE TRIGGER note_revisions_no_update BEFORE UPDATE ON note_revisions
BEGIN SELECT RAISE(ABORT, 'note revisions are append-only'); END;
CREATE TRIGGER note_revisions_no_delete BEFORE DELETE ON note_revisions
BEGIN SELECT RAISE(ABORT, 'note revisions are append-only'); END;

CREATE TABLE reviews (
    id           TEXT PRIMARY KEY,
    note_id      TEXT NOT NULL REFERENCES notes(id),
    revision     INTEGER NOT NULL,
    reviewer_id  TEXT NOT NULL REFERENCES staff(id),
    decision     TEXT NOT NULL CHECK (decision IN ('approve', 'return')),
    comment      TEXT NOT NULL DEFAULT '',
    decided_at   TEXT NOT NULL
);

-- Cooperating businesses registered with a hub under one of its five functions.
CREATE TABLE directory_entries (
    business_id  TEXT NOT NULL REFERENCES agencies(id),
    hub_id       TEXT NOT NULL REFERENCES agencies(id),
    function     TEXT NOT NULL,
    phone        TEXT NOT NULL,
    PRIMARY KEY (business_id, hub_id, function)
);

-- Who did what to which case, when. Append-only: no code path updates or deletes it.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    actor_id     TEXT,
    actor_role   TEXT,
    action       TEXT NOT NULL,
    case_id      TEXT,
    record_id    TEXT,
    outcome      TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
