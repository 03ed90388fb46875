import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { IdentityError } from './identity.error';
import { IDENTITY_POOL } from './identity.tokens';
import { FOREIGN_KEY_VIOLATION, isPgError, UNIQUE_VIOLATION } from './pg-error.util';
import { Role } from './principal';

export interface UserRecord {
  readonly id: string;
  readonly username: string;
  /** `scrypt$N$r$p$salt$hash` (`@fireiot/secrets`). */
  readonly passwordHash: string;
  readonly role: Role;
  readonly unitId: string | null;
}

export interface NewUser {
  readonly username: string;
  readonly passwordHash: string;
  readonly role: Role;
  readonly unitId: string | null;
}

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: Role;
  unit_id: string | null;
}

/** The `users` table: people who log in (operators, unit users, auditors). */
@Injectable()
export class UserRepository {
  constructor(@Inject(IDENTITY_POOL) private readonly pool: Pool) {}

  async findByUsername(username: string): Promise<UserRecord | null> {
    const result = await this.pool.query<UserRow>(
      'SELECT id, username, password_hash, role, unit_id FROM users WHERE username = $1',
      [username],
    );
    const row = result.rows[0];
    return row
      ? { id: row.id, username: row.username, passwordHash: row.password_hash, role: row.role, unitId: row.unit_id }
      : null;
  }

  /** Inserts a user; `username-taken` if the name exists, `unit-not-found` if the unit does not. */
  async insert(user: NewUser): Promise<string> {
    try {
      const result = await this.pool.query<{ id: string }>(
        'INSERT INTO users (username, password_hash, role, unit_id) VALUES ($1, $2, $3, $4) RETURNING id',
        [user.username, user.passwordHash, user.role, user.unitId],
      );
      const row = result.rows[0];
      if (!row) throw new Error('INSERT … RETURNING gave no row');
      return row.id;
    } catch (error) {
      if (isPgError(error, UNIQUE_VIOLATION)) {
        throw new IdentityError('username-taken', `the username ${user.username} is taken`, { cause: error });
      }
      if (isPgError(error, FOREIGN_KEY_VIOLATION)) {
        throw new IdentityError('unit-not-found', `no unit ${user.unitId ?? ''}`, { cause: error });
      }
      throw error;
    }
  }

  async operatorExists(): Promise<boolean> {
    const result = await this.pool.query("SELECT 1 FROM users WHERE role = 'operator' LIMIT 1");
    return result.rowCount !== null && result.rowCount > 0;
  }
}
