import { Controller, DynamicModule, Get, Header, INestApplication, Logger, Module, Param } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { EVENT_BUS, InProcessBus } from '@fireiot/bus';
import { FIREIOT_CONFIG, FireiotConfig, loadConfig } from '@fireiot/config';
import { OperatorAlert } from '@fireiot/events';
import { APP_POOL, createAppPool } from '@fireiot/storage';
import { startTestDatabase, TestDatabase } from '@fireiot/storage/testing';
import { eventually } from '@fireiot/testing';
import { Pool } from 'pg';
import { register } from 'prom-client';
import { MonitoringModule } from '../monitoring.module';
import { AccessMiddleware } from './access.middleware';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

/** What libs/runtime's IngestionModule gives the app: config, pool, bus (global). */
@Module({})
class TestPlatformModule {
  static forRoot(config: FireiotConfig, pool: Pool, bus: InProcessBus): DynamicModule {
    return {
      module: TestPlatformModule,
      global: true,
      providers: [
        { provide: FIREIOT_CONFIG, useValue: config },
        { provide: APP_POOL, useValue: pool },
        { provide: EVENT_BUS, useValue: bus },
      ],
      exports: [FIREIOT_CONFIG, APP_POOL, EVENT_BUS],
    };
  }
}

@Controller()
class ProbeController {
  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }

  @Get('api/things/:id')
  thing(@Param('id') id: string): { id: string } {
    return { id };
  }
}

const LIMIT = 30;

describe(AccessMiddleware.name, () => {
  let db: TestDatabase;
  let pool: Pool;
  let bus: InProcessBus;
  let app: INestApplication;
  let url: string;
  const published: OperatorAlert[] = [];

  beforeAll(async () => {
    db = await startTestDatabase();
    pool = createAppPool(db.ownerUrl, 2);
    bus = new InProcessBus();
    await bus.subscribe('fireiot.operator-alerts.v1', 'spec', async (m) => void published.push(m));
    const config = loadConfig({
      FIREIOT_DATABASE_URL: db.ownerUrl,
      FIREIOT_ACCESS_MAX_PER_IP_PER_MIN: String(LIMIT),
      FIREIOT_ACCESS_THROTTLE_S: '60',
    });
    const moduleRef = await Test.createTestingModule({
      imports: [TestPlatformModule.forRoot(config, pool, bus), MonitoringModule],
      controllers: [ProbeController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app.close();
    await bus.close();
    await pool.end();
    await db.stop();
  });

  const metrics = async (): Promise<string> => (await fetch(`${url}/metrics`)).text();
  /** The value of one sample line of the exposition (`name{labels}`), or undefined. */
  const sample = (text: string, series: string): number | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('counts and times requests by route pattern, never by raw URL (4.4.1)', async () => {
    const before = await metrics();
    const ok = 'fireiot_http_requests_total{method="GET",route="/api/things/:id",status="200"}';
    const missing = 'fireiot_http_requests_total{method="GET",route="unmatched",status="404"}';
    expect((await fetch(`${url}/api/things/1`)).status).toBe(200);
    expect((await fetch(`${url}/api/things/2?x=1`)).status).toBe(200);
    expect((await fetch(`${url}/no/such/page`)).status).toBe(404);
    const text = await metrics();
    expect(sample(text, ok)).toBe((sample(before, ok) ?? 0) + 2);
    expect(sample(text, missing)).toBe((sample(before, missing) ?? 0) + 1);
    expect(text).not.toContain('/api/things/1');
    expect(text).toContain(
      'fireiot_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/things/:id"}',
    );
    expect(
      sample(text, 'fireiot_http_request_duration_seconds_count{method="GET",route="/api/things/:id"}'),
    ).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'fireiot_http_visits_total')).toBeGreaterThanOrEqual(4);
    expect(text).toMatch(/# HELP fireiot_http_requests_total .*4\.4\.1/);
  });

  it('reports distinct client IPs (one: loopback) and the mean response time per window', async () => {
    const text = await metrics();
    expect(sample(text, 'fireiot_http_distinct_client_ips{window="1m"}')).toBe(1);
    expect(sample(text, 'fireiot_http_distinct_client_ips{window="24h"}')).toBe(1);
    const avg = sample(text, 'fireiot_http_response_time_avg_seconds{window="1m"}');
    expect(avg).toBeGreaterThan(0);
    expect(avg).toBeLessThan(1);
    expect(sample(text, 'fireiot_http_response_time_avg_seconds{window="1h"}')).toBeGreaterThan(0);
    expect(sample(text, 'fireiot_bus_lag_messages')).toBe(0);
  });

  it('answers 429 with Retry-After past the per-IP limit, alerts the operators once, never throttles /healthz', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 5; i++) statuses.push((await fetch(`${url}/api/things/${i}`)).status);
    // Three requests of the first spec and this one's went before.
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(5);
    const refused = await fetch(`${url}/api/things/x`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^(59|60)$/);
    expect(await refused.json()).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringMatching(/more than 30 requests a minute.*4\.4\.1/),
    });
    for (let i = 0; i < 3; i++) expect((await fetch(`${url}/healthz`)).status).toBe(200);

    const rows = await eventually(async () => {
      const r = await db.sql<{ kind: string; clause: string; title: string }>(
        'SELECT kind, clause, title FROM operator_alerts',
      );
      return r.length > 0 ? r : undefined;
    }, 'the abnormal-access alert');
    expect(rows).toEqual([{ kind: 'abnormal-access', clause: '4.4.1', title: expect.stringContaining('127.0.0.1') }]);
    await eventually(() => published.length === 1, 'the bus message');
    expect(published[0]).toMatchObject({ kind: 'abnormal-access', clause: '4.4.1', detail: { reason: 'ip-rate' } });

    const text = await metrics();
    expect(sample(text, 'fireiot_access_throttled_total')).toBeGreaterThanOrEqual(6);
    expect(sample(text, 'fireiot_access_alerts_total{reason="ip-rate"}')).toBe(1);
    expect(sample(text, 'fireiot_http_requests_total{method="GET",route="/healthz",status="200"}')).toBe(3);
    expect(
      sample(text, 'fireiot_http_requests_total{method="GET",route="unmatched",status="429"}'),
    ).toBeGreaterThanOrEqual(6);
  });
});
