-- Moments become TIMESTAMPTZ. They were RFC 3339 UTC text to the second, as on SQLite; the
-- server binds and reads them as a time type (`Stamp`) on both databases, whole seconds on
-- both, so a rule that compares two moments decides the same way on either.
-- Changing a column's type rewrites its table without firing the row triggers that keep
-- the audit log and the note revisions unchangeable; their contents stay as they were.

ALTER TABLE staff
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at::timestamptz,
    ALTER COLUMN passphrase_issued_at TYPE TIMESTAMPTZ USING passphrase_issued_at::timestamptz;

ALTER TABLE sessions
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at::timestamptz,
    ALTER COLUMN last_seen_at TYPE TIMESTAMPTZ USING last_seen_at::timestamptz,
    ALTER COLUMN idle_expires_at TYPE TIMESTAMPTZ USING idle_expires_at::timestamptz,
    ALTER COLUMN expires_at TYPE TIMESTAMPTZ USING expires_at::timestamptz;

ALTER TABLE cases
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at::timestamptz;

ALTER TABLE case_team
    ALTER COLUMN joined_at TYPE TIMESTAMPTZ USING joined_at::timestamptz,
    ALTER COLUMN left_at TYPE TIMESTAMPTZ USING left_at::timestamptz;

ALTER TABLE visits
    ALTER COLUMN starts_at TYPE TIMESTAMPTZ USING starts_at::timestamptz,
    ALTER COLUMN ends_at TYPE TIMESTAMPTZ USING ends_at::timestamptz;

ALTER TABLE notes
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at::timestamptz;

ALTER TABLE note_revisions
    ALTER COLUMN recorded_at TYPE TIMESTAMPTZ USING recorded_at::timestamptz,
    ALTER COLUMN received_at TYPE TIMESTAMPTZ USING received_at::timestamptz;

ALTER TABLE reviews
    ALTER COLUMN decided_at TYPE TIMESTAMPTZ USING decided_at::timestamptz;

ALTER TABLE audit_log
    ALTER COLUMN at TYPE TIMESTAMPTZ USING at::timestamptz,
    ALTER COLUMN device_time TYPE TIMESTAMPTZ USING device_time::timestamptz;

ALTER TABLE sync_clients
    ALTER COLUMN last_contact_at TYPE TIMESTAMPTZ USING last_contact_at::timestamptz,
    ALTER COLUMN pending_since TYPE TIMESTAMPTZ USING pending_since::timestamptz,
    ALTER COLUMN revoked_at TYPE TIMESTAMPTZ USING revoked_at::timestamptz;

ALTER TABLE field_versions
    ALTER COLUMN recorded_at TYPE TIMESTAMPTZ USING recorded_at::timestamptz;

ALTER TABLE conflicts
    ALTER COLUMN winner_recorded_at TYPE TIMESTAMPTZ USING winner_recorded_at::timestamptz,
    ALTER COLUMN replaced_recorded_at TYPE TIMESTAMPTZ USING replaced_recorded_at::timestamptz,
    ALTER COLUMN resolved_at TYPE TIMESTAMPTZ USING resolved_at::timestamptz;

ALTER TABLE rejected_mutations
    ALTER COLUMN at TYPE TIMESTAMPTZ USING at::timestamptz;

ALTER TABLE login_failures
    ALTER COLUMN paused_until TYPE TIMESTAMPTZ USING paused_until::timestamptz;

ALTER TABLE second_factors
    ALTER COLUMN confirmed_at TYPE TIMESTAMPTZ USING confirmed_at::timestamptz;

ALTER TABLE recovery_codes
    ALTER COLUMN used_at TYPE TIMESTAMPTZ USING used_at::timestamptz;

ALTER TABLE break_glass
    ALTER COLUMN opened_at TYPE TIMESTAMPTZ USING opened_at::timestamptz,
    ALTER COLUMN expires_at TYPE TIMESTAMPTZ USING expires_at::timestamptz;
