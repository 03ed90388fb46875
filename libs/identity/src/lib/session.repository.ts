import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { IDENTITY_POOL } from './identity.tokens';
import { Principal, Role } from './principal';

export interface SessionRecord {
  readonly principal: Principal;
  readonly expiresAt: Date;
}

interface SessionRow {
  expires_at: Date;
  user_id: string;
  username: string;
  role: Role;
  unit_id: string | null;
}

/** The `sessions` table: bearer tokens, known only by their SHA-256 (a leaked table grants nothing). */
@Injectable()
export class SessionRepository {
  constructor(@Inject(IDENTITY_POOL) private readonly pool: Pool) {}

  async insert(tokenHash: Buffer, userId: string, expiresAt: Date): Promise<void> {
    await this.pool.query('INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [
      tokenHash,
      userId,
      expiresAt,
    ]);
  }

  /** The session and its user, or null for an unknown token (expired ones are returned: the caller decides). */
  async findByTokenHash(tokenHash: Buffer): Promise<SessionRecord | null> {
    const result = await this.pool.query<SessionRow>(
      `SELECT s.expires_at, u.id AS user_id, u.username, u.role, u.unit_id
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = $1`,
      [tokenHash],
    );
    const row = result.rows[0];
    return row
      ? {
          principal: { userId: row.user_id, username: row.username, role: row.role, unitId: row.unit_id },
          expiresAt: row.expires_at,
        }
      : null;
  }

  async delete(tokenHash: Buffer): Promise<void> {
    await this.pool.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
  }

  /** Removes sessions that expired before `before`; returns how many. */
  async deleteExpired(before: Date): Promise<number> {
    const result = await this.pool.query('DELETE FROM sessions WHERE expires_at < $1', [before]);
    return result.rowCount ?? 0;
  }
}
