import { eventually } from '@fireiot/testing';
import type { Browser, Page } from 'playwright-core';
import { ADMIN, AlertingHarness, AlertView, ProvisionedUnit } from './lib/alerting-harness.test-util';
import { launchChromium, newContext, screenshot, signIn, webBundleDir } from './lib/browser.test-util';

jest.setTimeout(180_000);

const UNIT_PASSWORD = 'unit-password-1';
const AUDITOR = { username: 'auditor-web', password: 'auditor-password-1' };
/** How far the page scrolls sideways (run in the page). */
const SIDEWAYS = 'document.documentElement.scrollWidth - window.innerWidth';
/** A datetime-local value for this time tomorrow, wall time in the platform's zone. */
function tomorrowInShanghai(): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(Date.now() + 86_400_000));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}`;
}

const FIRE_ROW = '[data-testid="alert-row"][data-kind="fire-alarm"]';

/**
 * The web console and the units' app in a real Chromium against the real platform
 * (CQC/SC 11002 4.2: view, confirm, alert service; 5.4.1 e: the handling register), driven by a
 * simulated UITD over TCP.
 */
describe('web console and unit app in Chromium', () => {
  let h: AlertingHarness;
  let browser: Browser;
  let unitA: ProvisionedUnit;
  let unitB: ProvisionedUnit;
  let alertId = '';

  beforeAll(async () => {
    h = await AlertingHarness.start({ FIREIOT_WEB_DIR: webBundleDir() });
    browser = await launchChromium();
    unitA = await h.unit({ contacts: [{ channels: ['sms'] }] });
    unitB = await h.unit({ contacts: [{ channels: ['sms'] }] });
    const auditor = await h.http('POST', '/api/users', { ...AUDITOR, role: 'auditor' });
    expect(auditor.status).toBe(201);
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  async function page(device: 'desktop' | 'phone'): Promise<Page> {
    return (await newContext(browser, h.baseUrl, device)).newPage();
  }

  async function live(p: Page): Promise<void> {
    await p.locator('[data-testid="live-status"][data-connected="true"]').waitFor({ timeout: 15_000 });
  }

  it('serves the app on the HTTP port: the login page, the PWA manifest, the SPA fallback; the API stays JSON', async () => {
    const index = await fetch(`${h.baseUrl}/console/devices`, { headers: { accept: 'text/html' } });
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<div id="root">');
    const manifest = (await (await fetch(`${h.baseUrl}/manifest.webmanifest`)).json()) as Record<string, unknown>;
    expect(manifest).toMatchObject({ start_url: '/app', display: 'standalone' });
    // A production build: React's development build (what NODE_ENV=test would give) is several times slower.
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(await (await fetch(`${h.baseUrl}/`)).text())?.[1];
    expect(script).toBeDefined();
    const bundle = await (await fetch(`${h.baseUrl}${script ?? ''}`)).text();
    expect(bundle).not.toContain('Each child in a list should have a unique');
    const missing = await fetch(`${h.baseUrl}/api/no-such-route`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/json');

    const p = await page('desktop');
    await p.goto('/');
    await p.getByTestId('login-submit').waitFor();
    expect(await p.locator('h2').first().textContent()).toBe('登录');
    await screenshot(p, 'login');
    await p.getByTestId('login-username').fill(ADMIN.username);
    await p.getByTestId('login-password').fill('wrong-password');
    await p.getByTestId('login-submit').click();
    await p.getByTestId('login-error').waitFor();
    await p.context().close();
  });

  it('each role signs in and lands on its own pages, in Chinese by default and in English on request', async () => {
    const operator = await page('desktop');
    await signIn(operator, ADMIN.username, ADMIN.password, '/console');
    await operator.getByRole('link', { name: '报警看板' }).waitFor();
    await operator.getByTestId('language').click();
    await operator.getByRole('link', { name: 'Alarm board' }).waitFor();
    await operator.getByTestId('language').click();
    await operator.getByRole('link', { name: '报警看板' }).waitFor();

    const unit = await page('phone');
    await signIn(unit, unitA.username, UNIT_PASSWORD, '/app');
    // A unit user sent to the console lands back in the unit app.
    await unit.goto('/console');
    await unit.waitForURL((url) => url.pathname === '/app');

    const auditor = await page('desktop');
    await signIn(auditor, AUDITOR.username, AUDITOR.password, '/audit');
    await auditor.getByTestId('audit-table').waitFor();
    for (const p of [operator, unit, auditor]) await p.context().close();
  });

  it('a simulated fire alarm reaches the unit’s page and the operator’s board within a second; the unit confirms and the operator sees it', async () => {
    const operator = await page('desktop');
    const unit = await page('phone');
    await signIn(operator, ADMIN.username, ADMIN.password, '/console');
    await signIn(unit, unitA.username, UNIT_PASSWORD, '/app');
    await Promise.all([live(operator), live(unit)]);
    const device = await h.uitd(unitA.unitId, 710_001);

    const seen = (p: Page) =>
      p
        .locator(FIRE_ROW)
        .first()
        .waitFor({ timeout: 10_000 })
        .then(() => Date.now());
    const start = Date.now();
    const [onUnit, onBoard, sent] = await Promise.all([
      seen(unit),
      seen(operator),
      device.sendFireAlarm({ loop: 1, point: 7, description: '3层走廊' }),
    ]);
    expect(sent.outcome).toBe('confirmed');
    // CQC/SC 11002 4.3.1 gives 3 s to the unit; the pages show it well within one.
    expect(onUnit - start).toBeLessThan(1_000);
    expect(onBoard - start).toBeLessThan(1_000);
    alertId = (await unit.locator(FIRE_ROW).first().getAttribute('data-alert-id')) ?? '';
    expect(alertId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await operator.locator(`${FIRE_ROW}[data-alert-id="${alertId}"]`).getAttribute('data-confirmed')).toBe('no');
    await screenshot(operator, 'console-board-fire');
    await screenshot(unit, 'unit-app-fire-phone');

    await unit.locator(`[data-alert-id="${alertId}"] [data-testid="confirm-button"]`).click();
    // The board learns it live (socket.io `alert-updated`), without a reload.
    await operator.locator(`${FIRE_ROW}[data-alert-id="${alertId}"][data-confirmed="yes"]`).waitFor({ timeout: 5_000 });
    await unit.locator(`[data-testid="unit-recent"] [data-alert-id="${alertId}"][data-confirmed="yes"]`).waitFor();

    // The alert detail in the unit app: facility, location, time and the latency it came with.
    await unit.locator(`[data-alert-id="${alertId}"] a`).first().click();
    const detail = unit.getByTestId('alert-detail');
    await detail.waitFor();
    expect(await detail.getAttribute('data-confirmed')).toBe('yes');
    expect(await unit.getByTestId('alert-latency').textContent()).toMatch(/\d+(\.\d+)? (ms|s)/);
    await screenshot(unit, 'unit-app-alert-detail-phone');
    for (const p of [operator, unit]) await p.context().close();
  });

  it('the operator handles the alarm: receive → verify → notify → close, filling the handling register', async () => {
    const operator = await page('desktop');
    await signIn(operator, ADMIN.username, ADMIN.password, '/console');
    await operator.goto(`/console/alerts/${alertId}`);
    const detail = operator.getByTestId('alert-detail');
    await detail.waitFor();
    await operator.getByTestId('step-received').click();
    await operator.locator('[data-testid="alert-detail"][data-handling="received"]').waitFor();
    // A verification without a note is refused on the page (the register needs what was done).
    await operator.getByTestId('step-verified').click();
    await operator.getByText('请先填写备注。').waitFor();
    await operator.getByTestId('workflow-note').fill('致电现场值班员：3层走廊确有烟雾');
    await operator.getByTestId('step-verified').click();
    await operator.locator('[data-testid="alert-detail"][data-handling="verified"]').waitFor();
    await operator.getByTestId('workflow-note').fill('已电话通知单位消防负责人');
    await operator.getByTestId('step-notified').click();
    await operator.locator('[data-testid="alert-detail"][data-handling="notified"]').waitFor();
    await operator.getByTestId('workflow-note').fill('消防队到场，处置完毕');
    await operator.getByTestId('step-close').click();
    await operator.locator('[data-testid="alert-detail"][data-handling="closed"]').waitFor();
    expect(await operator.getByTestId('workflow').count()).toBe(0);
    await screenshot(operator, 'console-alert-closed');

    const alert = await h.http<AlertView>('GET', `/api/alerts/${alertId}`);
    const events = alert.body.events.map((e) => e.type);
    expect(events).toEqual(expect.arrayContaining(['confirmed', 'received', 'verified', 'notified', 'closed']));
    expect(alert.body.events.find((e) => e.type === 'closed')?.note).toBe('消防队到场，处置完毕');
    expect(alert.body.closedAt).not.toBeNull();
    await operator.context().close();
  });

  it('a unit user cannot open another unit’s alert by URL', async () => {
    const other = await page('phone');
    await signIn(other, unitB.username, UNIT_PASSWORD, '/app');
    await other.goto(`/app/alerts/${alertId}`);
    await other.getByTestId('alert-not-found').waitFor();
    expect(await other.getByTestId('alert-detail').count()).toBe(0);
    expect(await other.content()).not.toContain('3层走廊');
    await other.goto('/app/history');
    await other.getByTestId('history').waitFor({ state: 'attached' });
    expect(await other.locator(`[data-alert-id="${alertId}"]`).count()).toBe(0);
    // The platform refuses it too, whatever the page does.
    const direct = await h.http('GET', `/api/alerts/${alertId}`, undefined, unitB.userToken);
    expect(direct.status).toBe(404);
    await other.context().close();
  });

  it('the auditor reads the alert with each channel’s timestamps and has nothing to act with', async () => {
    await h.alertWhen(
      alertId,
      (a) => a.attempts.some((t) => t.channel === 'sms' && t.status === 'accepted'),
      'the SMS is in the evidence',
    );
    const auditor = await page('desktop');
    await signIn(auditor, AUDITOR.username, AUDITOR.password, '/audit');
    await auditor.locator(`[data-testid="alert-row"][data-alert-id="${alertId}"] a`).click();
    await auditor.getByTestId('alert-detail').waitFor();
    await auditor.locator('[data-testid="attempts"] tr[data-channel="app"]').first().waitFor();
    await auditor.locator('[data-testid="attempts"] tr[data-channel="sms"][data-status="accepted"]').waitFor();
    expect(await auditor.getByTestId('confirm-button').count()).toBe(0);
    expect(await auditor.getByTestId('workflow').count()).toBe(0);
    await screenshot(auditor, 'audit-alert-detail');
    await auditor.context().close();
  });

  it('the unit app fits a phone: no sideways scrolling, the navigation at the bottom, devices with their state', async () => {
    const phone = await page('phone');
    await signIn(phone, unitA.username, UNIT_PASSWORD, '/app');
    const overflow = Number(await phone.evaluate(SIDEWAYS));
    expect(overflow).toBeLessThanOrEqual(0);
    const nav = await phone.locator('nav.nav').boundingBox();
    expect(nav?.y ?? 0).toBeGreaterThan(700);
    await phone.getByRole('link', { name: '设备' }).click();
    const row = phone.locator('[data-testid="device-row"][data-device-key="uitd:710001"]');
    await row.waitFor();
    expect(await row.getByTestId('comm-state').getAttribute('data-state')).toBe('online');
    await row.locator('button').first().click();
    await row
      .getByTestId('readings')
      .getByText(/火警|fire/i)
      .first()
      .waitFor();
    expect(Number(await phone.evaluate(SIDEWAYS))).toBeLessThanOrEqual(0);
    await screenshot(phone, 'unit-app-devices-phone');
    await phone.context().close();
  });

  it('the console lists devices with filters, keeps the duty log and hands the shift over with the open alarms', async () => {
    const second = { username: 'operator-night', password: 'operator-password-1' };
    expect((await h.http('POST', '/api/users', { ...second, role: 'operator' })).status).toBe(201);
    await h.uitd(unitB.unitId, 710_002);
    const openFire = await h.uitd(unitB.unitId, 710_003);
    await openFire.sendFireAlarm();
    await eventually(async () => {
      const list = await h.http<{ alerts: AlertView[] }>('GET', `/api/alerts?unitId=${unitB.unitId}&kind=fire-alarm`);
      return list.body.alerts.length > 0 ? true : undefined;
    }, 'the second fire alarm is recorded');
    // The device's last-seen is written apart from the alert: wait for it, or the list may still
    // show 710003 as never seen.
    await eventually(async () => {
      const list = await h.http<{ devices: { deviceKey: string; communication: { state: string } }[] }>(
        'GET',
        '/api/devices',
      );
      return list.body.devices.find((d) => d.deviceKey === 'uitd:710003')?.communication.state === 'online'
        ? true
        : undefined;
    }, '710003 seen online');

    const operator = await page('desktop');
    await signIn(operator, ADMIN.username, ADMIN.password, '/console');
    await operator.getByRole('link', { name: '设备' }).click();
    await operator.locator('[data-testid="device-row"]').first().waitFor();
    await operator.getByTestId('device-search').fill('710002');
    await eventually(
      async () => ((await operator.locator('[data-testid="device-row"]').count()) === 1 ? true : undefined),
      'one device matches',
    );
    await operator.getByTestId('device-search').fill('');
    // 710002 connected but sent nothing yet (never seen); 710003 sent its fire alarm (online).
    await operator.getByTestId('device-state-filter').selectOption('never-seen');
    await operator.locator('[data-testid="device-row"][data-device-key="uitd:710002"]').waitFor();
    expect(await operator.locator('[data-testid="device-row"][data-device-key="uitd:710003"]').count()).toBe(0);
    await operator.getByTestId('device-state-filter').selectOption('online');
    await operator.locator('[data-testid="device-row"][data-device-key="uitd:710003"]').waitFor();
    expect(await operator.locator('[data-testid="device-row"][data-device-key="uitd:710002"]').count()).toBe(0);
    // Its fire alarm is still open: the row says so.
    await operator
      .locator('[data-device-key="uitd:710003"] [data-testid="open-condition"][data-kind="fire-alarm"]')
      .waitFor();
    await screenshot(operator, 'console-devices');

    // Shield a device with a reason and an expiry (4.4.4), then lift it.
    await operator.getByTestId('device-state-filter').selectOption('');
    const row = operator.locator('[data-testid="device-row"][data-device-key="uitd:710002"]');
    await row.locator('button').first().click();
    await row.getByTestId('shield-reason').fill('更换2层探测器');
    await row.getByTestId('shield-until').fill(tomorrowInShanghai());
    await row.getByTestId('shield-submit').click();
    await row.getByTestId('shield-badge').waitFor();
    const shields = await h.http<{ shields: { deviceKey: string; reason: string; active: boolean }[] }>(
      'GET',
      '/api/shields',
    );
    expect(shields.body.shields).toContainEqual(
      expect.objectContaining({ deviceKey: 'uitd:710002', reason: '更换2层探测器', active: true }),
    );
    await row.getByTestId('lift-reason').fill('更换完毕');
    await row.getByTestId('lift-submit').click();
    await row.getByTestId('shield-badge').waitFor({ state: 'detached' });

    await operator.getByRole('link', { name: '值班记录' }).click();
    await operator.getByTestId('duty-start').click();
    await operator.getByTestId('on-duty').getByText(ADMIN.username).waitFor();
    await operator.getByTestId('duty-note').fill('夜班前巡查完毕');
    await operator.getByTestId('duty-entry').click();
    await operator.locator('[data-testid="duty-log"] li[data-kind="entry"]').waitFor();
    await operator.getByTestId('duty-note').fill('交班：单位2火警未处理完');
    await operator.getByTestId('handover-to').fill(second.username);
    await operator.getByTestId('handover-submit').click();
    const handover = operator.locator('[data-testid="duty-log"] li[data-kind="handover"]');
    await handover.waitFor();
    expect(await handover.textContent()).toContain(second.username);
    expect(await handover.textContent()).toMatch(/交接时未处理报警：[1-9]/);
    await operator.getByTestId('on-duty').getByText(second.username).waitFor();
    await screenshot(operator, 'console-duty-log');

    await operator.getByRole('link', { name: '维护保养' }).click();
    await operator.getByTestId('maintenance-summary').waitFor();
    await screenshot(operator, 'console-maintenance');
    await operator.context().close();
  });
});
