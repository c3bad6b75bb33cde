/**
 * Desktop grants: one row per authorization code. The grant id becomes the `jti` of the desktop token issued from
 * it, so a grant revoked after a replayed code takes its token with it.
 */
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { codeHash, newAuthorizationCode, verifierMatches } from './pkce.js';

export type Redemption =
  | { readonly ok: true; readonly grantId: number; readonly userId: number }
  /** `revokedGrantId` is set when the code had already been redeemed: its grant is now revoked. */
  | { readonly ok: false; readonly reason: 'invalid_grant'; readonly revokedGrantId?: number };

interface GrantRow extends RowDataPacket {
  id: number;
  user_id: number;
  code_challenge: string;
  redirect_uri: string;
  redeemed_at: unknown;
}

export class DesktopGrantStore {
  constructor(private readonly pool: Pool) {}

  async createCode(userId: number, codeChallenge: string, redirectUri: string, ttlSeconds: number): Promise<string> {
    const code = newAuthorizationCode();
    await this.pool.execute(
      `INSERT INTO desktop_grants (user_id, code_hash, code_challenge, redirect_uri, created_at, expires_at)
       VALUES (?, ?, ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) + INTERVAL ? SECOND)`,
      [userId, codeHash(code), codeChallenge, redirectUri, ttlSeconds],
    );
    return code;
  }

  /**
   * Redeems a code once. The UPDATE is the single point of truth: of concurrent redemptions exactly one changes the
   * row. A failed verifier or redirect still consumes the code (it was presented, so it is burnt).
   */
  async redeem(code: string, codeVerifier: string, redirectUri: string): Promise<Redemption> {
    const hash = codeHash(code);
    const [claimed] = await this.pool.execute<ResultSetHeader>(
      `UPDATE desktop_grants SET redeemed_at = UTC_TIMESTAMP(3)
       WHERE code_hash = ? AND redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > UTC_TIMESTAMP(3)`,
      [hash],
    );
    const [rows] = await this.pool.execute<GrantRow[]>(
      'SELECT id, user_id, code_challenge, redirect_uri, redeemed_at FROM desktop_grants WHERE code_hash = ?',
      [hash],
    );
    const grant = rows[0];
    if (!grant) return { ok: false, reason: 'invalid_grant' };
    if (claimed.affectedRows !== 1) {
      if (grant.redeemed_at === null) return { ok: false, reason: 'invalid_grant' }; // expired, never used
      await this.revoke(grant.id);
      return { ok: false, reason: 'invalid_grant', revokedGrantId: grant.id };
    }
    const verifierOk = verifierMatches(codeVerifier, grant.code_challenge);
    if (!verifierOk || grant.redirect_uri !== redirectUri) return { ok: false, reason: 'invalid_grant' };
    return { ok: true, grantId: grant.id, userId: grant.user_id };
  }

  async revoke(grantId: number): Promise<void> {
    await this.pool.execute(
      'UPDATE desktop_grants SET revoked_at = UTC_TIMESTAMP(3) WHERE id = ? AND revoked_at IS NULL',
      [grantId],
    );
  }

  /** True when the grant was redeemed and not revoked: the check every desktop token passes on use. */
  async isActive(grantId: number): Promise<boolean> {
    const [rows] = await this.pool.execute<RowDataPacket[]>(
      'SELECT 1 FROM desktop_grants WHERE id = ? AND redeemed_at IS NOT NULL AND revoked_at IS NULL',
      [grantId],
    );
    return rows.length === 1;
  }

  /** Which of these grants have been revoked (by any replica). */
  async revokedAmong(grantIds: readonly number[]): Promise<Set<number>> {
    if (grantIds.length === 0) return new Set();
    // query, not execute: a prepared statement per list length would pile up toward max_prepared_stmt_count.
    const [rows] = await this.pool.query<RowDataPacket[]>(
      'SELECT id FROM desktop_grants WHERE id IN (?) AND revoked_at IS NOT NULL',
      [grantIds],
    );
    return new Set(rows.map((row) => Number(row.id)));
  }

  /** Drops codes long expired; kept a while after expiry so a late replay is still recognised and revokes. */
  async prune(keepDays: number): Promise<number> {
    const [result] = await this.pool.execute<ResultSetHeader>(
      'DELETE FROM desktop_grants WHERE expires_at < UTC_TIMESTAMP(3) - INTERVAL ? DAY LIMIT 5000',
      [keepDays],
    );
    return result.affectedRows;
  }
}
