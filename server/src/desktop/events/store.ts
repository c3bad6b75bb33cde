/**
 * Durable per-user desktop events in MySQL.
 *
 * A producer locks the user's counter row in the inserting transaction, so seq N commits before N+1 is handed out:
 * a reader (on any replica) sees each user's events as a gap-free prefix, and "everything after my cursor" is a safe
 * query. Auto-increment ids would not give that: they can become visible out of order under concurrent inserts.
 */
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';

export interface DesktopEvent {
  readonly userId: number;
  readonly seq: number;
  readonly topic: string;
  readonly data: unknown;
  /** Epoch milliseconds, from the database clock. */
  readonly createdAt: number;
}

export interface UserCursor {
  readonly userId: number;
  /** Return events with a seq greater than this. */
  readonly afterSeq: number;
}

/** Where a user's stream stands: what the server still holds and what it has handed out. */
export interface StreamBounds {
  /** The last seq ever allocated for the user (0 when none). */
  readonly lastSeq: number;
  /** The oldest seq still retained; lastSeq + 1 when every event was pruned or none exists. */
  readonly oldestSeq: number;
}

// Epoch milliseconds of a UTC DATETIME(3), computed in SQL so no session or driver time zone is involved.
// BIGINT columns arrive as JavaScript numbers (mysql2's default), exact below 2^53.
const CREATED_AT_MS = "TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', created_at) DIV 1000";

interface EventRow extends RowDataPacket {
  user_id: number;
  seq: number;
  topic: string;
  data: string;
  created_at_ms: number;
}

function toEvent(row: EventRow): DesktopEvent {
  return {
    userId: row.user_id,
    seq: row.seq,
    topic: row.topic,
    data: JSON.parse(row.data) as unknown,
    createdAt: row.created_at_ms,
  };
}

export class DesktopEventStore {
  constructor(private readonly pool: Pool) {}

  /** Stores an event and returns it with its seq (the next one for that user, with no gap). */
  async append(userId: number, topic: string, data: unknown): Promise<DesktopEvent> {
    const connection = await this.pool.getConnection();
    try {
      await connection.beginTransaction();
      // The upsert takes the row lock that serialises this user's producers until commit.
      await connection.execute(
        `INSERT INTO desktop_event_counters (user_id, last_seq) VALUES (?, 1)
         ON DUPLICATE KEY UPDATE last_seq = last_seq + 1`,
        [userId],
      );
      const [counter] = await connection.execute<RowDataPacket[]>(
        'SELECT last_seq FROM desktop_event_counters WHERE user_id = ?',
        [userId],
      );
      const seq = Number(counter[0]?.last_seq);
      await connection.execute(
        'INSERT INTO desktop_events (user_id, seq, topic, data, created_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(3))',
        [userId, seq, topic, JSON.stringify(data)],
      );
      const [rows] = await connection.execute<EventRow[]>(
        `SELECT user_id, seq, topic, data, ${CREATED_AT_MS} AS created_at_ms FROM desktop_events
         WHERE user_id = ? AND seq = ?`,
        [userId, seq],
      );
      await connection.commit();
      return toEvent(rows[0] as EventRow);
    } catch (error) {
      await connection.rollback().catch(() => undefined);
      throw error;
    } finally {
      connection.release();
    }
  }

  /**
   * Events after each cursor, in one query, ordered by user then seq. At most `limit` rows: the rows of each user are
   * still a prefix of what is there, so a caller that got `limit` rows simply asks again.
   */
  async readAfter(cursors: readonly UserCursor[], limit: number): Promise<DesktopEvent[]> {
    if (cursors.length === 0) return [];
    const where = cursors.map(() => '(user_id = ? AND seq > ?)').join(' OR ');
    // query, not execute: a prepared statement per cursor count would pile up toward max_prepared_stmt_count.
    const [rows] = await this.pool.query<EventRow[]>(
      `SELECT user_id, seq, topic, data, ${CREATED_AT_MS} AS created_at_ms FROM desktop_events
       WHERE ${where} ORDER BY user_id, seq LIMIT ?`,
      [...cursors.flatMap((cursor) => [cursor.userId, cursor.afterSeq]), limit],
    );
    return rows.map(toEvent);
  }

  async bounds(userId: number): Promise<StreamBounds> {
    const [rows] = await this.pool.execute<RowDataPacket[]>(
      `SELECT COALESCE((SELECT last_seq FROM desktop_event_counters WHERE user_id = ?), 0) AS last_seq,
              (SELECT MIN(seq) FROM desktop_events WHERE user_id = ?) AS oldest_seq`,
      [userId, userId],
    );
    const lastSeq = Number(rows[0]?.last_seq ?? 0);
    const oldest = rows[0]?.oldest_seq as number | string | null | undefined;
    return { lastSeq, oldestSeq: oldest == null ? lastSeq + 1 : Number(oldest) };
  }

  /** Deletes events older than the retention, a bounded batch at a time; returns how many went. */
  async prune(retentionHours: number, batchSize = 5000): Promise<number> {
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`bad batch size ${batchSize}`);
    const retentionSeconds = Math.round(retentionHours * 3600);
    let total = 0;
    for (;;) {
      // The batch size is written into the statement: MySQL 8 refuses a prepared LIMIT parameter sent as a number.
      const [result] = await this.pool.execute<ResultSetHeader>(
        `DELETE FROM desktop_events WHERE created_at < UTC_TIMESTAMP(3) - INTERVAL ? SECOND LIMIT ${batchSize}`,
        [retentionSeconds],
      );
      total += result.affectedRows;
      if (result.affectedRows < batchSize) return total;
    }
  }
}
