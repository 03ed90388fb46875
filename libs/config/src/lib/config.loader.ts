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
  };
}
