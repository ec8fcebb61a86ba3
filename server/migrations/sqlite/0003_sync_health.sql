-- What each device last reported waiting in its outbox: when its oldest unsent change was made
-- (NULL: nothing waiting), so a supervisor sees a phone that has not synced for days.
ALTER TABLE sync_clients ADD COLUMN pending_since TEXT;
