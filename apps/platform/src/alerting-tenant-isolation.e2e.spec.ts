import { AlertingHarness, AlertView, pushed } from './lib/alerting-harness.test-util';

jest.setTimeout(120_000);

/**
 * Each unit sees only its own alerts (contract.md, "App channel": "receives only its own unit's
 * alerts"), on the socket and over HTTP; operators see every unit's; auditors and strangers are
 * refused on the socket.
 */
describe('tenant isolation of alerts', () => {
  let h: AlertingHarness;
  beforeAll(async () => {
    h = await AlertingHarness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('an alert of unit A reaches A’s app and the operator, never B’s; B’s own alert reaches B', async () => {
    const a = await h.unit({ contacts: [{ channels: ['sms'] }] });
    const b = await h.unit({ contacts: [{ channels: ['sms'] }] });
    const appA = await h.app(a.userToken);
    const appB = await h.app(b.userToken);
    const operator = await h.app(await h.staff('operator'));
    const deviceA = await h.uitd(a.unitId, 780_001);
    const deviceB = await h.uitd(b.unitId, 780_002);

    expect((await deviceA.sendFireAlarm(1)).outcome).toBe('confirmed');
    const ofA = await pushed(appA, (x) => x['kind'] === 'fire-alarm', 'A’s app receives A’s alert');
    expect(ofA['unitId']).toBe(a.unitId);
    await pushed(operator, (x) => x['alertId'] === ofA['alertId'], 'the operator receives A’s alert');

    // Positive control for B's socket: B's own alert, raised after A's, arrives there.
    expect((await deviceB.sendFault(1)).outcome).toBe('confirmed');
    const ofB = await pushed(appB, (x) => x['kind'] === 'fault', 'B’s app receives B’s alert');
    expect(ofB['unitId']).toBe(b.unitId);
    await pushed(operator, (x) => x['alertId'] === ofB['alertId'], 'the operator receives B’s alert');

    expect(appB.alerts.map((x) => x['alertId'])).toEqual([ofB['alertId']]);
    expect(appA.alerts.map((x) => x['alertId'])).toEqual([ofA['alertId']]);
    expect(appB.alerts.every((x) => x['unitId'] === b.unitId)).toBe(true);
    // The evidence names the recipients: A's alert was pushed to A's user only.
    const alertA = await h.alertWhen(String(ofA['alertId']), (x) =>
      x.attempts.some((t) => t.channel === 'app' && t.status === 'delivered'),
    );
    const meB = await h.http<{ userId: string }>('GET', '/api/auth/me', undefined, b.userToken);
    expect(alertA.attempts.some((t) => t.recipient === meB.body.userId)).toBe(false);
  });

  it('the /alerts namespace refuses a missing or invalid token and an auditor', async () => {
    expect(await h.appRefused({})).toMatch(/unauthorized/);
    expect(await h.appRefused({ token: '' })).toMatch(/unauthorized/);
    expect(await h.appRefused({ token: 'not-a-token' })).toMatch(/unauthorized/);
    expect(await h.appRefused({ token: await h.staff('auditor') })).toMatch(/forbidden/);
    // Control: a valid unit user's token connects.
    const unit = await h.unit({ contacts: [{ channels: ['sms'] }] });
    const app = await h.app(unit.userToken);
    expect(app.socket.connected).toBe(true);
  });

  it('over HTTP, B cannot read, list or confirm A’s alerts', async () => {
    const a = await h.unit({ contacts: [{ channels: ['sms'] }] });
    const b = await h.unit({ contacts: [{ channels: ['sms'] }] });
    const appA = await h.app(a.userToken);
    const appB = await h.app(b.userToken);
    expect((await (await h.uitd(a.unitId, 780_011)).sendFault(2)).outcome).toBe('confirmed');
    expect((await (await h.uitd(b.unitId, 780_012)).sendFault(2)).outcome).toBe('confirmed');
    const idA = String((await pushed(appA, (x) => x['kind'] === 'fault', 'A’s alert'))['alertId']);
    const idB = String((await pushed(appB, (x) => x['kind'] === 'fault', 'B’s alert'))['alertId']);

    // Read: another unit's alert does not exist for B (ids cannot be probed); its own does.
    expect((await h.http('GET', `/api/alerts/${idA}`, undefined, b.userToken)).status).toBe(404);
    expect((await h.http('GET', `/api/alerts/${idB}`, undefined, b.userToken)).status).toBe(200);
    expect((await h.http('GET', `/api/alerts/${idA}`, undefined, a.userToken)).status).toBe(200);

    // List: B's own alerts only, even when asking for A's unit.
    const listB = await h.alerts('', b.userToken);
    expect(listB.map((x: AlertView) => x.id)).toEqual([idB]);
    expect((await h.http('GET', `/api/alerts?unitId=${a.unitId}`, undefined, b.userToken)).status).toBe(403);
    const all = await h.alerts(`?unitId=${a.unitId}`);
    expect(all.map((x) => x.id)).toContain(idA);

    // Confirm: refused as not found; A's alert stays unconfirmed; A can confirm it.
    expect((await h.http('POST', `/api/alerts/${idA}/confirm`, {}, b.userToken)).status).toBe(404);
    expect((await h.http('POST', `/api/alerts/${idA}/close`, { note: 'done' }, b.userToken)).status).toBe(404);
    const untouched = await h.alertWhen(idA, () => true);
    expect(untouched.events.filter((e) => e.type === 'confirmed' || e.type === 'closed')).toEqual([]);
    const confirmed = await h.http<AlertView>('POST', `/api/alerts/${idA}/confirm`, {}, a.userToken);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.state).toBe('confirmed');
  });
});
