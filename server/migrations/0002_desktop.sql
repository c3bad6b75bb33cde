-- Desktop channel: PKCE grants (RFC 8252 + RFC 7636) and durable per-user events.
-- Times are UTC, written with UTC_TIMESTAMP(3) so they do not depend on the session time zone.
-- user_id is users.id (INT UNSIGNED). No foreign keys: users are disabled, never deleted, and the users table stays
-- free to change without touching these.

-- One row per authorization code. Only the SHA-256 of the code is stored. The row id is the `jti` of the desktop token
-- issued from it, so revoking the grant revokes that token.
CREATE TABLE desktop_grants (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id INT UNSIGNED NOT NULL,
  code_hash BINARY(32) NOT NULL,
  code_challenge CHAR(43) NOT NULL,
  redirect_uri VARCHAR(512) NOT NULL,
  created_at DATETIME(3) NOT NULL,
  expires_at DATETIME(3) NOT NULL,
  redeemed_at DATETIME(3) NULL,
  revoked_at DATETIME(3) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY desktop_grants_code_hash (code_hash),
  KEY desktop_grants_user (user_id),
  KEY desktop_grants_expires (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- The last seq handed out per user. Producers lock this row in the inserting transaction, so a user's events commit
-- in seq order and a reader never sees seq N+1 before N.
CREATE TABLE desktop_event_counters (
  user_id INT UNSIGNED NOT NULL,
  last_seq BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (user_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Written in the same transaction as the counter row. `data` is JSON text: MariaDB's JSON type is LONGTEXT and
-- MySQL's is binary, plain text reads the same on both.
CREATE TABLE desktop_events (
  user_id INT UNSIGNED NOT NULL,
  seq BIGINT UNSIGNED NOT NULL,
  topic VARCHAR(128) NOT NULL,
  data MEDIUMTEXT NOT NULL,
  created_at DATETIME(3) NOT NULL,
  PRIMARY KEY (user_id, seq),
  KEY desktop_events_created (created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
