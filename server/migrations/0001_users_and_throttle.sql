-- Users of the API and the desktop app. Usernames are stored lower-case (the API normalises them), so a unique
-- index on the raw bytes is also case-insensitive. Portable between MySQL 8 and MariaDB 10.11.
CREATE TABLE users (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT,
  username VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  password_hash CHAR(60) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  role ENUM('user', 'admin') NOT NULL DEFAULT 'user',
  disabled_at DATETIME(3) NULL DEFAULT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY users_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Fixed-window counters shared by every replica (login per account and per IP, desktop code redemption...).
-- subject is a SHA-256 of the key so usernames and addresses are not stored in clear.
CREATE TABLE throttle_counters (
  scope VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  subject CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  window_start BIGINT UNSIGNED NOT NULL,
  hits INT UNSIGNED NOT NULL,
  PRIMARY KEY (scope, subject, window_start),
  KEY throttle_counters_window (window_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
