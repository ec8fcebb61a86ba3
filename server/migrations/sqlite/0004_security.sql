-- Failed sign-ins in a row per login name (known or not, so that a pause tells nothing about
-- which logins exist) and until when the login is paused.
CREATE TABLE login_failures (
    login         TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    paused_until  TEXT
);

-- Where and when, on the device, an audited action happened: the device's client id and its
-- own clock for changes made offline and synced later.
ALTER TABLE audit_log ADD COLUMN client_id TEXT;
ALTER TABLE audit_log ADD COLUMN device_time TEXT;
CREATE INDEX audit_log_by_case ON audit_log(case_id);
