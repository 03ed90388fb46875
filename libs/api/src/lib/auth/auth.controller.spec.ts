import { TestDatabase } from '@fireiot/storage/testing';
import { ADMIN, ApiTestApp, createdId, startApiApp, testDatabase } from '../api-test.test-util';
import { AuthController } from './auth.controller';

jest.setTimeout(60_000);

describe(AuthController.name, () => {
  let db: TestDatabase;
  let api: ApiTestApp;
  let adminToken: string;

  beforeAll(async () => {
    db = await testDatabase();
    api = await startApiApp(db);
    adminToken = await api.login(ADMIN.username, ADMIN.password);
  });
  afterAll(async () => {
    await api.close();
    await db.stop();
  });

  it('creates the FIREIOT_BOOTSTRAP_ADMIN operator once, across restarts', async () => {
    const second = await startApiApp(db, { FIREIOT_BOOTSTRAP_ADMIN: 'other-admin:other-password' });
    await second.close();
    const third = await startApiApp(db);
    await third.close();
    const operators = await db.sql<{ username: string; password_hash: string }>(
      "SELECT username, password_hash FROM users WHERE role = 'operator'",
    );
    expect(operators.map((o) => o.username)).toEqual(['admin']);
    expect(operators[0]?.password_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
  });

  it('logs in: 200 { accessToken, expiresAt, role, unitId }; the token opens protected routes', async () => {
    const login = await api.call('POST', '/api/auth/login', { body: ADMIN });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ tokenType: 'Bearer', role: 'operator', unitId: null });
    expect(login.body['accessToken']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const expiresAt = Date.parse(String(login.body['expiresAt']));
    expect(expiresAt - Date.now()).toBeGreaterThan(11.9 * 3600_000); // FIREIOT_TOKEN_TTL_H = 12
    const me = await api.call('GET', '/api/auth/me', { token: String(login.body['accessToken']) });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'admin', role: 'operator', unitId: null });
    const sessions = await db.sql<{ token_hash: Buffer }>('SELECT token_hash FROM sessions');
    expect(sessions.every((s) => s.token_hash.length === 32)).toBe(true);
    expect(JSON.stringify(sessions)).not.toContain(String(login.body['accessToken']));
  });

  it('GET /api/auth/me: the account, its unit’s name and the centre’s time zone, for every role', async () => {
    const me = await api.call('GET', '/api/auth/me', { token: adminToken });
    expect(me).toMatchObject({ status: 200 });
    expect(me.body).toEqual({
      userId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      username: 'admin',
      role: 'operator',
      unitId: null,
      unitName: null,
      timeZone: 'Asia/Shanghai',
    });
    const unitId = createdId(
      await api.call('POST', '/api/units', { token: adminToken, body: { name: '国贸大厦 Tower' } }),
    );
    createdId(
      await api.call('POST', `/api/units/${unitId}/users`, {
        token: adminToken,
        body: { username: 'me-unit-user', password: 'password-1' },
      }),
    );
    const unitUser = await api.login('me-unit-user', 'password-1');
    expect((await api.call('GET', '/api/auth/me', { token: unitUser })).body).toEqual({
      userId: expect.any(String),
      username: 'me-unit-user',
      role: 'unit',
      unitId,
      unitName: '国贸大厦 Tower',
      timeZone: 'Asia/Shanghai',
    });
    const elsewhere = await startApiApp(db, { FIREIOT_TIME_ZONE: 'Europe/Paris' });
    try {
      const token = await elsewhere.login(ADMIN.username, ADMIN.password);
      expect((await elsewhere.call('GET', '/api/auth/me', { token })).body).toMatchObject({ timeZone: 'Europe/Paris' });
    } finally {
      await elsewhere.close();
    }
    expect((await api.call('GET', '/api/auth/me')).status).toBe(401);
  });

  it('answers a wrong password and an unknown user alike: 401 invalid-credentials', async () => {
    const wrong = await api.call('POST', '/api/auth/login', {
      body: { username: 'admin', password: 'not-the-password' },
    });
    const unknown = await api.call('POST', '/api/auth/login', {
      body: { username: 'nobody', password: 'not-the-password' },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual({ error: { code: 'invalid-credentials', message: expect.any(String) } });
    expect(unknown.body).toEqual(wrong.body);
  });

  it('answers 429 too-many-attempts with Retry-After once a username has failed too often from an address', async () => {
    const strict = await startApiApp(db, { FIREIOT_LOGIN_MAX_FAILURES: '2', FIREIOT_LOGIN_WINDOW_MIN: '1' });
    try {
      const attempt = (password: string) =>
        strict.call('POST', '/api/auth/login', { body: { username: ADMIN.username, password } });
      expect((await attempt('guess-one')).status).toBe(401);
      expect((await attempt('guess-two')).status).toBe(401);
      const refused = await attempt(ADMIN.password);
      expect({ status: refused.status, body: refused.body }).toEqual({
        status: 429,
        body: { error: { code: 'too-many-attempts', message: expect.stringContaining('try again in') } },
      });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      // Other usernames from the same address are still heard.
      expect(
        (await strict.call('POST', '/api/auth/login', { body: { username: 'nobody', password: 'x' } })).status,
      ).toBe(401);
    } finally {
      await strict.close();
    }
  });

  it('refuses malformed login bodies with 400 and the reason, never 500', async () => {
    const missing = await api.call('POST', '/api/auth/login', { body: { username: 'admin' } });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ error: { code: 'invalid-input', message: expect.stringContaining('password') } });
    const wrongType = await api.call('POST', '/api/auth/login', { body: { username: 7, password: ['x'] } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body).toMatchObject({ error: { message: expect.stringContaining('username') } });
    const noBody = await api.call('POST', '/api/auth/login');
    expect(noBody.status).toBe(400);
    const notJson = await api.call('POST', '/api/auth/login', { rawBody: '{"username": "admin",' });
    expect(notJson.status).toBe(400);
  });

  it('answers 401 with the reason and a Bearer challenge without a valid token', async () => {
    const none = await api.call('GET', '/api/units');
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ error: { code: 'token-missing' } });
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="fireiot"');
    const garbage = await api.call('GET', '/api/units', { token: 'not-a-token' });
    expect(garbage.status).toBe(401);
    expect(garbage.body).toMatchObject({ error: { code: 'token-invalid' } });
    expect(garbage.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const unknown = await api.call('GET', '/api/units', { token: 'A'.repeat(43) });
    expect(unknown.body).toMatchObject({ error: { code: 'token-invalid' } });
    const basic = await fetch(`${api.url}/api/units`, { headers: { authorization: 'Basic YWRtaW46eA==' } });
    expect(basic.status).toBe(401);
  });

  it('refuses an expired token with 401 token-expired and removes its session', async () => {
    const token = await api.login(ADMIN.username, ADMIN.password);
    const [before] = await db.sql<{ n: number }>('SELECT count(*)::int AS n FROM sessions');
    await db.sql(
      "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE created_at = (SELECT max(created_at) FROM sessions)",
    );
    const answer = await api.call('GET', '/api/units', { token });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: { code: 'token-expired' } });
    const [after] = await db.sql<{ n: number }>('SELECT count(*)::int AS n FROM sessions');
    expect(after?.n).toBe((before?.n ?? 0) - 1);
  });

  it('removes expired sessions at start, keeping live ones', async () => {
    const live = await api.login(ADMIN.username, ADMIN.password);
    await api.login(ADMIN.username, ADMIN.password);
    await db.sql(
      "UPDATE sessions SET expires_at = now() - interval '1 hour' WHERE created_at = (SELECT max(created_at) FROM sessions)",
    );
    const [expired] = await db.sql<{ n: number }>('SELECT count(*)::int AS n FROM sessions WHERE expires_at < now()');
    expect(expired?.n).toBeGreaterThan(0);
    const restarted = await startApiApp(db);
    await restarted.close();
    const [after] = await db.sql<{ n: number }>('SELECT count(*)::int AS n FROM sessions WHERE expires_at < now()');
    expect(after?.n).toBe(0);
    expect((await api.call('GET', '/api/auth/me', { token: live })).status).toBe(200);
  });

  it('logs out: the token no longer works', async () => {
    const token = await api.login(ADMIN.username, ADMIN.password);
    expect((await api.call('GET', '/api/auth/me', { token })).status).toBe(200);
    expect((await api.call('POST', '/api/auth/logout', { token })).status).toBe(204);
    const after = await api.call('GET', '/api/auth/me', { token });
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ error: { code: 'token-invalid' } });
  });

  it('lets operators create operators and auditors; auditors read but never write', async () => {
    const created = await api.call('POST', '/api/users', {
      token: adminToken,
      body: { username: 'audit-1', password: 'auditor-password', role: 'auditor' },
    });
    createdId(created);
    const auditor = await api.login('audit-1', 'auditor-password');
    expect((await api.call('GET', '/api/units', { token: auditor })).status).toBe(200);
    expect((await api.call('GET', '/api/devices', { token: auditor })).status).toBe(200);
    for (const [path, body] of [
      ['/api/units', { name: 'Sneaky' }],
      ['/api/users', { username: 'x-op', password: 'password-x', role: 'operator' }],
      ['/api/devices', { unitId: '11111111-1111-4111-8111-111111111111', kind: 'uitd', address: '1', power: 'mains' }],
    ] as const) {
      const answer = await api.call('POST', path, { token: auditor, body });
      expect({ path, status: answer.status, body: answer.body }).toEqual({
        path,
        status: 403,
        body: { error: { code: 'forbidden', message: expect.stringContaining('operator') } },
      });
    }
    const [count] = await db.sql<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE username = 'x-op'");
    expect(count?.n).toBe(0);
  });

  it('validates POST /api/users: only operator/auditor roles, strong enough passwords, unique names', async () => {
    const unitRole = await api.call('POST', '/api/users', {
      token: adminToken,
      body: { username: 'u-1', password: 'password-1', role: 'unit' },
    });
    expect(unitRole.status).toBe(400);
    expect(unitRole.body).toMatchObject({ error: { code: 'invalid-input', message: expect.stringContaining('role') } });
    const short = await api.call('POST', '/api/users', {
      token: adminToken,
      body: { username: 'op-2', password: 'short', role: 'operator' },
    });
    expect(short.status).toBe(400);
    expect(short.body).toMatchObject({ error: { message: expect.stringContaining('password') } });
    const taken = await api.call('POST', '/api/users', {
      token: adminToken,
      body: { username: 'admin', password: 'password-1', role: 'operator' },
    });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ error: { code: 'username-taken' } });
  });
});
