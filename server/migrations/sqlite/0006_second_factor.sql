-- The second factor for staff: the TOTP secret in force (RFC 6238) with the last step used, so
-- a code is good only once; a secret being set up waits beside it until a first code from it
-- is typed. One-time recovery codes are kept as SHA-256 hashes.
CREATE TABLE second_factors (
    staff_id        TEXT PRIMARY KEY REFERENCES staff(id),
    secret          TEXT,
    pending_secret  TEXT,
    confirmed_at    TEXT,
    last_step       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE recovery_codes (
    staff_id   TEXT NOT NULL REFERENCES staff(id),
    code_hash  TEXT NOT NULL,
    used_at    TEXT,
    PRIMARY KEY (staff_id, code_hash)
);
