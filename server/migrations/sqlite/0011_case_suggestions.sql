-- Businesses of the hubs' directory that a team member suggested to a case team: the listing
-- (the business under one hub) attached to the case. Taking one back is recorded, not deleted.
CREATE TABLE case_suggestions (
    id            TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases(id),
    business_id   TEXT NOT NULL REFERENCES agencies(id),
    hub_id        TEXT NOT NULL REFERENCES agencies(id),
    suggested_by  TEXT NOT NULL REFERENCES staff(id),
    suggested_at  TEXT NOT NULL,
    withdrawn_at  TEXT,
    withdrawn_by  TEXT REFERENCES staff(id)
);
CREATE INDEX case_suggestions_by_case ON case_suggestions(case_id);
