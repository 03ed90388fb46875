import { hostname } from 'node:os';
import { ConfigError } from './config.error';
import { envSchema, FireiotConfig } from './config.schema';

/** Builds the validated configuration from an environment (usually `process.env`, at boot only). */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): FireiotConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError('invalid-environment', `invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  const brokers = e.FIREIOT_KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (brokers !== undefined && brokers.length === 0) {
    throw new ConfigError('invalid-environment', 'FIREIOT_KAFKA_BROKERS lists no broker');
  }
  const twilio = [e.TWILIO_ACCOUNT_SID, e.TWILIO_AUTH_TOKEN, e.TWILIO_FROM];
  const twilioSet = twilio.filter((v) => v !== null).length;
  if (twilioSet !== 0 && twilioSet !== 3) {
    throw new ConfigError(
      'invalid-environment',
      'TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM must be set together (or none of them)',
    );
  }
  const admin = e.FIREIOT_BOOTSTRAP_ADMIN;
  const colon = admin?.indexOf(':') ?? -1;
  return {
    host: e.FIREIOT_HOST,
    http: { port: e.FIREIOT_HTTP_PORT },
    gb26875: {
      port: e.FIREIOT_GB26875_PORT,
      maxConnections: e.FIREIOT_GB26875_MAX_CONNECTIONS,
      connectRatePerIpPerMinute: e.FIREIOT_GB26875_CONNECT_RATE_PER_IP,
      idleTimeoutMs: e.FIREIOT_GB26875_IDLE_TIMEOUT_S * 1000,
      retransmitWindowMs: e.FIREIOT_GB26875_RETRANSMIT_WINDOW_S * 1000,
    },
    mqtt: { url: e.FIREIOT_MQTT_URL, port: e.FIREIOT_MQTT_PORT },
    database: {
      url: e.FIREIOT_DATABASE_URL,
      embeddedPort: e.FIREIOT_EMBEDDED_PG_PORT,
      batchMs: e.FIREIOT_STORE_BATCH_MS,
    },
    dataDir: e.FIREIOT_DATA_DIR,
    kafka: { brokers: brokers ?? null },
    gatewayId: e.FIREIOT_GATEWAY_ID ?? `${hostname()}-${process.pid}`,
    logLevel: e.FIREIOT_LOG_LEVEL,
    twilio: {
      credentials:
        e.TWILIO_ACCOUNT_SID !== null && e.TWILIO_AUTH_TOKEN !== null && e.TWILIO_FROM !== null
          ? { accountSid: e.TWILIO_ACCOUNT_SID, authToken: e.TWILIO_AUTH_TOKEN, from: e.TWILIO_FROM }
          : null,
      apiBase: e.TWILIO_API_BASE.replace(/\/+$/, ''),
    },
    publicUrl: (e.FIREIOT_PUBLIC_URL ?? `http://localhost:${e.FIREIOT_HTTP_PORT}`).replace(/\/+$/, ''),
    bootstrapAdmin: admin === undefined ? null : { username: admin.slice(0, colon), password: admin.slice(colon + 1) },
    notify: {
      providerTimeoutMs: e.FIREIOT_PROVIDER_TIMEOUT_MS,
      attempts: e.FIREIOT_NOTIFY_ATTEMPTS,
      backoffMs: e.FIREIOT_NOTIFY_BACKOFF_MS,
      escalateAfterMs: e.FIREIOT_ESCALATE_AFTER_S * 1000,
    },
    auth: {
      tokenTtlMs: e.FIREIOT_TOKEN_TTL_H * 3600_000,
      loginMaxFailures: e.FIREIOT_LOGIN_MAX_FAILURES,
      loginWindowMs: e.FIREIOT_LOGIN_WINDOW_MIN * 60_000,
    },
    watchdog: {
      patrolTimeoutMs: e.FIREIOT_PATROL_TIMEOUT_S * 1000,
      patrolRetries: e.FIREIOT_PATROL_RETRIES,
      presenceIntervalMs: e.FIREIOT_PRESENCE_INTERVAL_S * 1000,
      tickMs: e.FIREIOT_WATCHDOG_TICK_MS,
    },
    monitoring: {
      accessMaxPerIpPerMinute: e.FIREIOT_ACCESS_MAX_PER_IP_PER_MIN,
      accessThrottleMs: e.FIREIOT_ACCESS_THROTTLE_S * 1000,
      accessSpikeFactor: e.FIREIOT_ACCESS_SPIKE_FACTOR,
      capacitySampleMs: e.FIREIOT_CAPACITY_SAMPLE_S * 1000,
      storageBudgetBytes: e.FIREIOT_STORAGE_BUDGET_BYTES ?? null,
      headroomMinDays: e.FIREIOT_HEADROOM_MIN_DAYS,
    },
    timeZone: e.FIREIOT_TIME_ZONE,
    web: { dir: e.FIREIOT_WEB_DIR },
  };
}
