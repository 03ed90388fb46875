import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { FireiotConfig, loadConfig } from '@fireiot/config';
import { hashSecret } from '@fireiot/secrets';
import { AuthService } from './auth.service';
import { IdentityError } from './identity.error';
import { Principal } from './principal';
import { SessionRecord, SessionRepository } from './session.repository';
import { NewUser, UserRecord, UserRepository } from './user.repository';

// Unit tests of the token and password logic with in-memory repositories; the SQL is exercised
// against a real PostgreSQL by the API's specs (libs/api), which may import the storage library.

class MemoryUsers {
  readonly rows: UserRecord[] = [];
  lookups = 0;

  async findByUsername(username: string): Promise<UserRecord | null> {
    this.lookups++;
    return this.rows.find((u) => u.username === username) ?? null;
  }

  async insert(user: NewUser): Promise<string> {
    if (this.rows.some((u) => u.username === user.username)) {
      throw new IdentityError('username-taken', `the username ${user.username} is taken`);
    }
    const id = `00000000-0000-4000-8000-${String(this.rows.length + 1).padStart(12, '0')}`;
    this.rows.push({ id, ...user });
    return id;
  }

  async operatorExists(): Promise<boolean> {
    return this.rows.some((u) => u.role === 'operator');
  }
}

class MemorySessions {
  readonly rows = new Map<string, { userId: string; expiresAt: Date }>();
  lookups = 0;

  constructor(private readonly users: MemoryUsers) {}

  async insert(tokenHash: Buffer, userId: string, expiresAt: Date): Promise<void> {
    this.rows.set(tokenHash.toString('hex'), { userId, expiresAt });
  }

  async findByTokenHash(tokenHash: Buffer): Promise<SessionRecord | null> {
    this.lookups++;
    const row = this.rows.get(tokenHash.toString('hex'));
    const user = this.users.rows.find((u) => u.id === row?.userId);
    if (!row || !user) return null;
    const principal: Principal = { userId: user.id, username: user.username, role: user.role, unitId: user.unitId };
    return { principal, expiresAt: row.expiresAt };
  }

  async delete(tokenHash: Buffer): Promise<void> {
    this.rows.delete(tokenHash.toString('hex'));
  }

  async deleteExpired(): Promise<number> {
    return 0;
  }
}

Logger.overrideLogger(['error']);

const T0 = Date.parse('2025-11-22T08:00:00Z');
const HOUR = 3_600_000;

function setup(env: Record<string, string> = {}, cacheMax = 100) {
  const config: FireiotConfig = loadConfig({ FIREIOT_TOKEN_TTL_H: '1', ...env });
  const users = new MemoryUsers();
  const sessions = new MemorySessions(users);
  let now = T0;
  const auth = new AuthService(users as unknown as UserRepository, sessions as unknown as SessionRepository, config, {
    now: () => now,
    cacheTtlMs: 30_000,
    cacheMax,
  });
  return {
    auth,
    users,
    sessions,
    advance(ms: number) {
      now += ms;
    },
  };
}

async function refusal(promise: Promise<unknown>): Promise<IdentityError> {
  const outcome = await promise.then(
    () => null,
    (error: unknown) => error,
  );
  if (!(outcome instanceof IdentityError)) throw new Error(`expected an IdentityError, got ${String(outcome)}`);
  return outcome;
}

describe(AuthService.name, () => {
  it('logs in with a random 32-byte base64url token and stores only its SHA-256', async () => {
    const { auth, sessions } = setup();
    const id = await auth.createUser({ username: 'ops', password: 'correct horse', role: 'operator', unitId: null });
    const result = await auth.login('ops', 'correct horse');
    expect(result.accessToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.principal).toEqual({ userId: id, username: 'ops', role: 'operator', unitId: null });
    expect(result.expiresAt.getTime()).toBe(T0 + HOUR);
    const digest = createHash('sha256').update(result.accessToken).digest('hex');
    expect([...sessions.rows.keys()]).toEqual([digest]);
    expect(JSON.stringify([...sessions.rows])).not.toContain(result.accessToken);
    await expect(auth.verify(result.accessToken)).resolves.toEqual(result.principal);
    const second = await auth.login('ops', 'correct horse');
    expect(second.accessToken).not.toBe(result.accessToken);
  });

  it('refuses a username from an address after too many failed logins, unheard, until the window moves on', async () => {
    const { auth, users, advance } = setup({ FIREIOT_LOGIN_MAX_FAILURES: '3', FIREIOT_LOGIN_WINDOW_MIN: '15' });
    await auth.createUser({ username: 'ops', password: 'correct horse', role: 'operator', unitId: null });
    for (let i = 0; i < 3; i++) {
      expect((await refusal(auth.login('ops', `guess ${i}`, '203.0.113.9'))).code).toBe('invalid-credentials');
      advance(1000);
    }
    // Even the right password is not checked now: no lookup, no scrypt.
    const lookups = users.lookups;
    const refused = await refusal(auth.login('OPS', 'correct horse', '203.0.113.9'));
    expect({ code: refused.code, retryAfterMs: refused.retryAfterMs }).toEqual({
      code: 'too-many-attempts',
      retryAfterMs: 15 * 60_000 - 3000,
    });
    expect(refused.message).toContain('try again in 897 s');
    expect(users.lookups).toBe(lookups);
    // The operator at the centre's own address is not locked out by someone guessing elsewhere.
    await expect(auth.login('ops', 'correct horse', '198.51.100.7')).resolves.toMatchObject({
      principal: { username: 'ops' },
    });
    // An unknown username is counted the same way (the answer does not tell which exist).
    for (let i = 0; i < 3; i++) await refusal(auth.login('nobody', 'x', '203.0.113.9'));
    expect((await refusal(auth.login('nobody', 'x', '203.0.113.9'))).code).toBe('too-many-attempts');
    // Once the first failure has left the window, one more attempt is heard; a success clears the count.
    advance(15 * 60_000 - 3000);
    await expect(auth.login('ops', 'correct horse', '203.0.113.9')).resolves.toMatchObject({
      principal: { username: 'ops' },
    });
    expect((await refusal(auth.login('ops', 'wrong', '203.0.113.9'))).code).toBe('invalid-credentials');
  });

  it('gives a wrong password and an unknown user the same error, both after a full scrypt', async () => {
    const { auth } = setup();
    await auth.createUser({ username: 'ops', password: 'correct horse', role: 'operator', unitId: null });
    const timed = async (username: string) => {
      const started = process.hrtime.bigint();
      const error = await refusal(auth.login(username, 'wrong horse!'));
      return { error, ms: Number(process.hrtime.bigint() - started) / 1e6 };
    };
    const wrong = await timed('ops');
    const unknown = await timed('nobody');
    expect({ code: unknown.error.code, message: unknown.error.message }).toEqual({
      code: wrong.error.code,
      message: wrong.error.message,
    });
    expect(wrong.error.code).toBe('invalid-credentials');
    // Both derive a 16 MiB scrypt key (tens of ms); an unhashed refusal would take microseconds.
    expect(unknown.ms).toBeGreaterThan(5);
    expect(wrong.ms).toBeGreaterThan(5);
  });

  it('refuses malformed and unknown tokens without trusting them', async () => {
    const { auth, sessions } = setup();
    await expect(auth.verify('')).rejects.toMatchObject({ code: 'token-invalid' });
    await expect(auth.verify('x'.repeat(500))).rejects.toMatchObject({ code: 'token-invalid' });
    expect(sessions.lookups).toBe(0);
    await expect(auth.verify('A'.repeat(43))).rejects.toMatchObject({ code: 'token-invalid' });
    expect(sessions.lookups).toBe(1);
  });

  it('remembers a verified token for 30 s, then asks the database again (a revoked session ends)', async () => {
    const { auth, sessions, advance } = setup();
    await auth.createUser({ username: 'ops', password: 'correct horse', role: 'operator', unitId: null });
    const { accessToken } = await auth.login('ops', 'correct horse');
    await auth.verify(accessToken);
    await auth.verify(accessToken);
    advance(29_000);
    await auth.verify(accessToken);
    expect(sessions.lookups).toBe(1);
    sessions.rows.clear(); // revoked elsewhere
    advance(1_001);
    await expect(auth.verify(accessToken)).rejects.toMatchObject({ code: 'token-invalid' });
    expect(sessions.lookups).toBe(2);
  });

  it('refuses an expired token, even one still remembered, and deletes its session', async () => {
    const { auth, sessions, advance } = setup();
    await auth.createUser({ username: 'ops', password: 'correct horse', role: 'operator', unitId: null });
    const { accessToken } = await auth.login('ops', 'correct horse');
    advance(HOUR - 10_000);
    await auth.verify(accessToken); // cached now, 10 s before expiry
    advance(10_000);
    await expect(auth.verify(accessToken)).rejects.toMatchObject({ code: 'token-expired' });
    await expect(auth.verify(accessToken)).rejects.toMatchObject({ code: 'token-expired' });
    expect(sessions.rows.size).toBe(0);
    await expect(auth.verify(accessToken)).rejects.toMatchObject({ code: 'token-invalid' });
  });

  it('keeps the token cache bounded, forgetting the oldest first', async () => {
    const { auth, sessions } = setup({}, 2);
    await auth.createUser({ username: 'ops', password: 'correct horse', role: 'operator', unitId: null });
    const tokens = [];
    for (let i = 0; i < 3; i++) tokens.push((await auth.login('ops', 'correct horse')).accessToken);
    for (const token of tokens) await auth.verify(token);
    expect(sessions.lookups).toBe(3);
    await auth.verify(tokens[2] ?? '');
    await auth.verify(tokens[1] ?? '');
    expect(sessions.lookups).toBe(3);
    await auth.verify(tokens[0] ?? '');
    expect(sessions.lookups).toBe(4);
  });

  it('logs out: the token stops working at once on this instance', async () => {
    const { auth } = setup();
    await auth.createUser({ username: 'ops', password: 'correct horse', role: 'operator', unitId: null });
    const { accessToken } = await auth.login('ops', 'correct horse');
    await auth.verify(accessToken);
    await auth.logout(accessToken);
    await expect(auth.verify(accessToken)).rejects.toMatchObject({ code: 'token-invalid' });
  });

  it('creates accounts with scrypt hashes, refusing bad names, short passwords and role/unit mismatches', async () => {
    const { auth, users } = setup();
    const unitId = '11111111-1111-4111-8111-111111111111';
    await auth.createUser({ username: 'unit-a', password: 'password-1', role: 'unit', unitId });
    expect(users.rows[0]?.passwordHash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(users.rows[0]?.passwordHash).not.toContain('password-1');
    const cases = [
      { username: 'has space', password: 'password-1', role: 'auditor', unitId: null },
      { username: 'a:b', password: 'password-1', role: 'auditor', unitId: null },
      { username: 'x'.repeat(65), password: 'password-1', role: 'auditor', unitId: null },
      { username: 'short', password: 'seven77', role: 'auditor', unitId: null },
      { username: 'nounit', password: 'password-1', role: 'unit', unitId: null },
      { username: 'opunit', password: 'password-1', role: 'operator', unitId },
    ] as const;
    for (const account of cases) {
      await expect(auth.createUser(account)).rejects.toMatchObject({ code: 'invalid-input' });
    }
    await expect(
      auth.createUser({ username: 'unit-a', password: 'password-2', role: 'auditor', unitId: null }),
    ).rejects.toMatchObject({ code: 'username-taken' });
    expect(users.rows).toHaveLength(1);
  });

  it('creates the FIREIOT_BOOTSTRAP_ADMIN operator once, and only when no operator exists', async () => {
    const none = setup();
    await expect(none.auth.ensureBootstrapAdmin()).resolves.toBe('not-configured');
    expect(none.users.rows).toHaveLength(0);

    const { auth, users } = setup({ FIREIOT_BOOTSTRAP_ADMIN: 'admin:s3cret-pass' });
    await expect(auth.ensureBootstrapAdmin()).resolves.toBe('created');
    await expect(auth.ensureBootstrapAdmin()).resolves.toBe('operator-exists');
    expect(users.rows.map((u) => [u.username, u.role])).toEqual([['admin', 'operator']]);
    await expect(auth.login('admin', 's3cret-pass')).resolves.toMatchObject({ principal: { role: 'operator' } });

    const other = setup({ FIREIOT_BOOTSTRAP_ADMIN: 'admin:s3cret-pass' });
    await other.auth.createUser({ username: 'first-op', password: 'password-1', role: 'operator', unitId: null });
    await expect(other.auth.ensureBootstrapAdmin()).resolves.toBe('operator-exists');
    expect(other.users.rows.map((u) => u.username)).toEqual(['first-op']);
  });

  it('verifies a hash made elsewhere (same format as the gateway and the API)', async () => {
    const { auth, users } = setup();
    users.rows.push({
      id: '22222222-2222-4222-8222-222222222222',
      username: 'auditor',
      passwordHash: await hashSecret('auditor-pass', { N: 1024, r: 8, p: 1 }),
      role: 'auditor',
      unitId: null,
    });
    await expect(auth.login('auditor', 'auditor-pass')).resolves.toMatchObject({ principal: { role: 'auditor' } });
  });
});
