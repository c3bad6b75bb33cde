-- Exact token revocation: every account change (disable, enable, new password) adds one to token_version, and a token
-- is valid only while the version it carries (claim `ver`) equals the stored one. updated_at has the whole-second
-- grain of a JWT `iat`, so a token issued in the same second as a disable-then-enable cycle used to survive it.
ALTER TABLE users ADD COLUMN token_version INT UNSIGNED NOT NULL DEFAULT 0;
