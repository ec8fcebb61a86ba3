-- Break-glass openings: a supervisor reads a case outside their program in an emergency, with
-- a stated reason, until the opening expires. Kept for the audit, so never changed or removed.
CREATE TABLE break_glass (
    id          TEXT PRIMARY KEY,
    staff_id    TEXT NOT NULL REFERENCES staff(id),
    case_id     TEXT NOT NULL REFERENCES cases(id),
    reason      TEXT NOT NULL,
    opened_at   TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX break_glass_by_staff ON break_glass(staff_id, case_id, expires_at);
CREATE TRIGGER break_glass_no_update BEFORE UPDATE ON break_glass
BEGIN SELECT RAISE(ABORT, 'break-glass openings are kept as they were'); END;
CREATE TRIGGER break_glass_no_delete BEFORE DELETE ON break_glass
BEGIN SELECT RAISE(ABORT, 'break-glass openings are kept as they were'); END;
