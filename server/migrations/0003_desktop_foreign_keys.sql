-- Referential integrity for the desktop tables (0002 left it out). Every user_id must name a user; deleting a user
-- (which the API never does: users are disabled) takes their grants, counter and events with it, so no orphan row can
-- outlive its user and a reused id could never inherit another user's events or seq.
-- InnoDB keeps the references when the users table is renamed, and DROP DATABASE is unaffected.

-- Orphans can only exist in a database that ran 0002 before this file: drop them so the constraints can be added.
DELETE FROM desktop_grants WHERE user_id NOT IN (SELECT id FROM users);
DELETE FROM desktop_event_counters WHERE user_id NOT IN (SELECT id FROM users);
DELETE FROM desktop_events WHERE user_id NOT IN (SELECT id FROM users);

ALTER TABLE desktop_grants
  ADD CONSTRAINT desktop_grants_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE desktop_event_counters
  ADD CONSTRAINT desktop_event_counters_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
-- (user_id, seq) is the primary key, so its leading column serves as the index the constraint needs.
ALTER TABLE desktop_events
  ADD CONSTRAINT desktop_events_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
