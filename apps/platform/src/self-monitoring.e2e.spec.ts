import { startTestDatabase, TestDatabase } from '@fireiot/storage/testing';
import { eventually } from '@fireiot/testing';
import { AlertingHarness } from './lib/alerting-harness.test-util';

jest.setTimeout(120_000);

const MB = 1_000_000;

/** The value of one sample line of the Prometheus exposition (`name{labels}`), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/**
 * Platform self-monitoring end to end (CQC/SC 11002 4.4.1 access, 4.4.3 storage headroom): the
 * embedded platform with alerting, over a database whose budget (FIREIOT_STORAGE_BUDGET_BYTES) is
 * a few MB above its size at start, sampled every second.
 */
describe('platform self-monitoring (4.4.1, 4.4.3)', () => {
  let db: TestDatabase;
  let h: AlertingHarness;

  beforeAll(async () => {
    // A database of our own, so its size is known before the platform starts on it.
    db = await startTestDatabase();
    const [row] = await db.sql<{ bytes: string }>('SELECT pg_database_size(current_database()) AS bytes');
    h = await AlertingHarness.start({
      FIREIOT_DATABASE_URL: db.ownerUrl,
      FIREIOT_STORAGE_BUDGET_BYTES: String(Number(row?.bytes) + 4 * MB),
      FIREIOT_CAPACITY_SAMPLE_S: '1',
    });
  });
  afterAll(async () => {
    await h?.stop();
    await db?.stop();
  });

  const metrics = async (): Promise<string> => (await fetch(`${h.baseUrl}/metrics`)).text();

  it('forecasts headroom under a year from the data received and tells the operators (socket, API)', async () => {
    const operator = await h.app(h.adminToken);
    const received: Record<string, unknown>[] = [];
    operator.socket.on('operator-alert', (alert: Record<string, unknown>) => received.push(alert));
    const unit = await h.unit();
    const unitApp = await h.app(unit.userToken);
    const unitReceived: unknown[] = [];
    unitApp.socket.on('operator-alert', (alert: unknown) => unitReceived.push(alert));

    // Nothing received yet: no growth, no alert.
    expect(received).toEqual([]);
    const device = await h.unregisteredUitd(700_001);
    for (let i = 0; i < 20; i++) expect((await device.sendTelemetry()).outcome).toBe('confirmed');

    const alert = await eventually(
      () => received.find((a) => a['kind'] === 'capacity'),
      'the operator-alert event',
      15_000,
    );
    expect(alert).toMatchObject({
      clause: '4.4.3',
      title: expect.stringMatching(/^Storage headroom \d+ days, under the required 365/),
      detail: expect.objectContaining({ growthBasis: 'raw-rows', minDays: 365 }),
    });
    const text = await metrics();
    expect(sample(text, 'fireiot_storage_headroom_days')).toBeLessThan(365);
    expect(sample(text, 'fireiot_storage_growth_bytes_per_day')).toBeGreaterThan(0);
    expect(sample(text, 'fireiot_storage_database_bytes')).toBeGreaterThan(MB);
    expect(sample(text, 'fireiot_storage_free_bytes')).toBeLessThanOrEqual(4 * MB);

    const listed = await h.http<{ alerts: Record<string, unknown>[] }>('GET', '/api/operator-alerts');
    expect(listed.status).toBe(200);
    expect(listed.body.alerts).toEqual([alert]);
    // Sampled every second, still under a year: one alert a day, not one a second.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(received.filter((a) => a['kind'] === 'capacity')).toHaveLength(1);
    // Operators only: a unit's app is not told.
    expect(unitReceived).toEqual([]);
  });

  it('exports the 4.4.1 access figures on /metrics', async () => {
    for (let i = 0; i < 3; i++) expect((await h.http('GET', '/api/operator-alerts?limit=1')).status).toBe(200);
    expect((await h.http('GET', '/no/such/page')).status).toBe(404);
    const sensorUnit = await h.unit();
    await h.sensor(sensorUnit.unitId, 'metrics-sensor-1');
    const text = await metrics();
    expect(
      sample(text, 'fireiot_http_requests_total{method="GET",route="/api/operator-alerts",status="200"}'),
    ).toBeGreaterThanOrEqual(4);
    expect(
      sample(text, 'fireiot_http_requests_total{method="POST",route="/api/auth/login",status="200"}'),
    ).toBeGreaterThan(0);
    expect(sample(text, 'fireiot_http_requests_total{method="GET",route="unmatched",status="404"}')).toBeGreaterThan(0);
    expect(
      sample(text, 'fireiot_http_request_duration_seconds_count{method="GET",route="/api/operator-alerts"}'),
    ).toBeGreaterThanOrEqual(4);
    expect(sample(text, 'fireiot_http_visits_total')).toBeGreaterThan(5);
    expect(sample(text, 'fireiot_http_distinct_client_ips{window="1m"}')).toBe(1);
    expect(sample(text, 'fireiot_http_response_time_avg_seconds{window="1m"}')).toBeGreaterThan(0);
    expect(sample(text, 'fireiot_bus_lag_messages')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'fireiot_device_connections{protocol="gb26875"}')).toBe(1);
    expect(sample(text, 'fireiot_device_connections{protocol="mqtt"}')).toBe(1);
    expect(sample(text, 'fireiot_operator_alerts_total{kind="capacity"}')).toBe(1);
    expect(text).toMatch(/# HELP fireiot_http_distinct_client_ips .*4\.4\.1/);
    expect(text).toMatch(/# HELP fireiot_storage_headroom_days .*4\.4\.3/);
  });
});
