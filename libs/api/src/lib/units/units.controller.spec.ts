import { Logger } from '@nestjs/common';
import { TestDatabase } from '@fireiot/storage/testing';
import { ADMIN, ApiTestApp, createdId, startApiApp, testDatabase } from '../api-test.test-util';
import { UnitsController } from './units.controller';

jest.setTimeout(60_000);

const TWILIO = { TWILIO_ACCOUNT_SID: 'AC0123456789', TWILIO_AUTH_TOKEN: 'secret-token', TWILIO_FROM: '+15005550006' };
const NO_SUCH_UNIT = '00000000-0000-4000-8000-000000000000';

describe(UnitsController.name, () => {
  let db: TestDatabase;
  let api: ApiTestApp;
  let admin: string;

  beforeAll(async () => {
    db = await testDatabase();
    api = await startApiApp(db);
    admin = await api.login(ADMIN.username, ADMIN.password);
  });
  afterAll(async () => {
    await api.close();
    await db.stop();
  });

  const post = async (path: string, body: unknown, token = admin) => api.call('POST', path, { token, body });

  it('provisions a unit with defaults or with its settings, and its contacts in escalation order', async () => {
    const plain = createdId(await post('/api/units', { name: '  Riverside Mall  ' }));
    const custom = createdId(
      await post('/api/units', {
        name: 'Harbour Tower',
        monitoringScope: ['fire-alarm', 'fault', 'fire-alarm'],
        faultPolicy: 'escalate',
        escalateAfterS: 120,
      }),
    );
    createdId(
      await post(`/api/units/${custom}/contacts`, {
        name: 'Duty manager',
        phone: '+86 138-0013-8000',
        channels: ['sms', 'voice', 'sms'],
      }),
    );
    createdId(
      await post(`/api/units/${custom}/contacts`, { name: 'Owner', phone: '+442071234567', channels: ['voice'] }),
    );
    createdId(
      await post(`/api/units/${custom}/contacts`, {
        name: 'First',
        phone: '+15551234567',
        channels: ['sms'],
        escalationOrder: 0,
      }),
    );

    const a = await api.call('GET', `/api/units/${plain}`, { token: admin });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({
      id: plain,
      name: 'Riverside Mall',
      monitoringScope: ['fire-alarm', 'fault', 'abnormal', 'communication-loss', 'restored'],
      faultPolicy: 'all-channels',
      escalateAfterS: null,
      userCount: 0,
      contacts: [],
    });
    const b = await api.call('GET', `/api/units/${custom}`, { token: admin });
    expect(b.body).toMatchObject({
      monitoringScope: ['fire-alarm', 'fault'],
      faultPolicy: 'escalate',
      escalateAfterS: 120,
    });
    expect(b.body['contacts']).toEqual([
      { id: expect.any(String), name: 'First', phone: '+15551234567', channels: ['sms'], escalationOrder: 0 },
      {
        id: expect.any(String),
        name: 'Duty manager',
        phone: '+8613800138000',
        channels: ['sms', 'voice'],
        escalationOrder: 1,
      },
      { id: expect.any(String), name: 'Owner', phone: '+442071234567', channels: ['voice'], escalationOrder: 2 },
    ]);
  });

  it('refuses invalid bodies with 400 naming the field and the problem', async () => {
    const unit = createdId(await post('/api/units', { name: 'Validation Works' }));
    const cases: [string, unknown, string][] = [
      ['/api/units', {}, 'name'],
      ['/api/units', { name: '' }, 'name'],
      ['/api/units', { name: 'x'.repeat(201) }, 'name'],
      ['/api/units', { name: 'A', monitoringScope: ['fire-alarm', 'flood'] }, 'monitoringScope.1'],
      ['/api/units', { name: 'A', monitoringScope: [] }, 'monitoringScope'],
      ['/api/units', { name: 'A', faultPolicy: 'sometimes' }, 'faultPolicy'],
      ['/api/units', { name: 'A', escalateAfterS: -5 }, 'escalateAfterS'],
      ['/api/units', { name: 'A', escalateAfterS: 1.5 }, 'escalateAfterS'],
      ['/api/units', { name: 'A', colour: 'red' }, 'colour'],
      ['/api/units', [{ name: 'A' }], '(root)'],
      [`/api/units/${unit}/contacts`, { name: 'N', phone: '13800138000', channels: ['sms'] }, 'phone'],
      [`/api/units/${unit}/contacts`, { name: 'N', phone: '+0123456789', channels: ['sms'] }, 'phone'],
      [`/api/units/${unit}/contacts`, { name: 'N', phone: '+8613800138000', channels: [] }, 'channels'],
      [`/api/units/${unit}/contacts`, { name: 'N', phone: '+8613800138000', channels: ['email'] }, 'channels.0'],
      [`/api/units/${unit}/contacts`, { name: 'N', phone: '+8613800138000' }, 'channels'],
      [`/api/units/${unit}/contacts`, { phone: '+8613800138000', channels: ['sms'] }, 'name'],
      [`/api/units/${unit}/users`, { username: 'has space', password: 'password-1' }, 'username'],
      [`/api/units/${unit}/users`, { username: 'ok-name', password: 'short' }, 'password'],
    ];
    for (const [path, body, field] of cases) {
      const answer = await post(path, body);
      expect({ path, body, status: answer.status, answer: answer.body }).toEqual({
        path,
        body,
        status: 400,
        answer: { error: { code: 'invalid-input', message: expect.stringContaining(field) } },
      });
    }
    const [units] = await db.sql<{ n: number }>("SELECT count(*)::int AS n FROM units WHERE name = 'A'");
    expect(units?.n).toBe(0);
  });

  it('answers 404 for users or contacts of a unit that does not exist', async () => {
    const contact = await post(`/api/units/${NO_SUCH_UNIT}/contacts`, {
      name: 'N',
      phone: '+8613800138000',
      channels: ['sms'],
    });
    expect(contact.status).toBe(404);
    expect(contact.body).toMatchObject({ error: { code: 'unit-not-found' } });
    const user = await post(`/api/units/not-a-uuid/users`, { username: 'ghost', password: 'password-1' });
    expect(user.status).toBe(404);
    expect((await api.call('GET', `/api/units/${NO_SUCH_UNIT}`, { token: admin })).status).toBe(404);
    expect((await api.call('GET', '/api/units/1', { token: admin })).status).toBe(404);
  });

  it('keeps unit users to their own unit: other units are "not found", and they cannot provision', async () => {
    const a = createdId(await post('/api/units', { name: 'Tenant A' }));
    const b = createdId(await post('/api/units', { name: 'Tenant B' }));
    createdId(await post(`/api/units/${a}/users`, { username: 'a-user', password: 'password-a' }));
    createdId(await post(`/api/units/${b}/users`, { username: 'b-user', password: 'password-b' }));
    const login = await api.call('POST', '/api/auth/login', { body: { username: 'a-user', password: 'password-a' } });
    expect(login.body).toMatchObject({ role: 'unit', unitId: a });
    const token = String(login.body['accessToken']);

    const list = await api.call<{ units: { id: string }[] }>('GET', '/api/units', { token });
    expect(list.body.units.map((u) => u.id)).toEqual([a]);
    expect((await api.call('GET', `/api/units/${a}`, { token })).status).toBe(200);
    const other = await api.call('GET', `/api/units/${b}`, { token });
    expect(other.status).toBe(404);
    expect(other.body).toMatchObject({ error: { code: 'unit-not-found' } });

    const all = await api.call<{ units: { id: string }[] }>('GET', '/api/units', { token: admin });
    expect(all.body.units.map((u) => u.id)).toEqual(expect.arrayContaining([a, b]));

    for (const [path, body] of [
      ['/api/units', { name: 'Mine now' }],
      [`/api/units/${a}/users`, { username: 'a-user-2', password: 'password-a' }],
      [`/api/units/${a}/contacts`, { name: 'Me', phone: '+8613800138000', channels: ['sms'] }],
    ] as const) {
      const answer = await post(path, body, token);
      expect({ path, status: answer.status }).toEqual({ path, status: 403 });
      expect(answer.body).toMatchObject({ error: { code: 'forbidden' } });
    }
  });

  it('reports channel conformity (CQC/SC 11002 4.3.3): two working channels, Twilio counted only when configured', async () => {
    const appOnly = createdId(await post('/api/units', { name: 'App only' }));
    createdId(await post(`/api/units/${appOnly}/users`, { username: 'app-only-user', password: 'password-1' }));
    const withSms = createdId(await post('/api/units', { name: 'App and SMS' }));
    createdId(await post(`/api/units/${withSms}/users`, { username: 'with-sms-user', password: 'password-1' }));
    createdId(
      await post(`/api/units/${withSms}/contacts`, { name: 'Guard', phone: '+8613800138000', channels: ['sms'] }),
    );

    // No Twilio: SMS and voice are "not configured", whatever the contacts.
    const first = await api.call('GET', `/api/units/${appOnly}`, { token: admin });
    expect(first.body['conformity']).toEqual({
      channels: { app: 'ready', sms: 'not-configured', voice: 'not-configured' },
      readyChannels: 1,
      conforming: false,
      reason: expect.stringContaining('4.3.3'),
    });
    expect(String((first.body['conformity'] as { reason: string }).reason)).toContain('TWILIO_ACCOUNT_SID');
    const unconfigured = await api.call('GET', `/api/units/${withSms}`, { token: admin });
    expect(unconfigured.body['conformity']).toMatchObject({ conforming: false, channels: { sms: 'not-configured' } });

    const twilio = await startApiApp(db, TWILIO);
    try {
      const configured = await twilio.call('GET', `/api/units/${withSms}`, { token: admin });
      expect(configured.body['conformity']).toEqual({
        channels: { app: 'ready', sms: 'ready', voice: 'no-contact' },
        readyChannels: 2,
        conforming: true,
        reason: null,
      });
      const stillAppOnly = await twilio.call('GET', `/api/units/${appOnly}`, { token: admin });
      expect(stillAppOnly.body['conformity']).toMatchObject({
        channels: { app: 'ready', sms: 'no-contact', voice: 'no-contact' },
        conforming: false,
        reason: expect.stringContaining('no contact with the sms channel'),
      });
    } finally {
      await twilio.close();
    }
  });

  it('warns at start about every unit that is not conforming', async () => {
    const lonely = createdId(await post('/api/units', { name: 'Nobody to call' }));
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      const restarted = await startApiApp(db);
      await restarted.close();
      const warned = warn.mock.calls.map(([message]) => message as { unitId?: string; reason?: string });
      expect(warned).toContainEqual(
        expect.objectContaining({ unitId: lonely, reason: expect.stringContaining('app: no unit user') }),
      );
    } finally {
      warn.mockRestore();
    }
  });
});
