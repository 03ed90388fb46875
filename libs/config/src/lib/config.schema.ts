import { z } from 'zod';

/**
 * The platform's whole configuration: read once at boot from the environment (contract.md,
 * "Configuration"), validated, then injected. Business code never reads `process.env`.
 */
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === '' ? null : s))
  .nullable()
  .default(null);

export const envSchema = z.object({
  FIREIOT_HTTP_PORT: port.default(3000),
  FIREIOT_HOST: z.string().default('0.0.0.0'),
  FIREIOT_GB26875_PORT: port.default(7533),
  FIREIOT_MQTT_URL: optionalString,
  FIREIOT_MQTT_PORT: port.default(1883),
  FIREIOT_DATABASE_URL: optionalString,
  FIREIOT_DATA_DIR: z.string().min(1).default('./.fireiot'),
  FIREIOT_EMBEDDED_PG_PORT: port.default(5433),
  FIREIOT_KAFKA_BROKERS: optionalString,
  FIREIOT_GATEWAY_ID: z.string().min(1).optional(),
  // Gateway limits (GB/T 26875.3 over TCP). Extensions of the contract, all optional.
  FIREIOT_GB26875_MAX_CONNECTIONS: positiveInt.default(50_000),
  FIREIOT_GB26875_CONNECT_RATE_PER_IP: positiveInt.default(600),
  FIREIOT_GB26875_IDLE_TIMEOUT_S: positiveInt.default(300),
  FIREIOT_GB26875_RETRANSMIT_WINDOW_S: positiveInt.default(120),
  FIREIOT_STORE_BATCH_MS: z.coerce.number().min(0).max(100).default(2),
  FIREIOT_LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
});

export type FireiotEnv = z.input<typeof envSchema>;

export interface FireiotConfig {
  readonly host: string;
  readonly http: { readonly port: number };
  readonly gb26875: {
    readonly port: number;
    readonly maxConnections: number;
    /** New connections accepted per source IP per minute before refusing (slow floods). */
    readonly connectRatePerIpPerMinute: number;
    /** A connection that sends nothing for this long is closed (slow-loris, dead peers). */
    readonly idleTimeoutMs: number;
    /** A frame with the same device, serial and bytes inside this window is a retransmission. */
    readonly retransmitWindowMs: number;
  };
  readonly mqtt: { readonly url: string | null; readonly port: number };
  readonly database: { readonly url: string | null; readonly embeddedPort: number; readonly batchMs: number };
  readonly dataDir: string;
  readonly kafka: { readonly brokers: readonly string[] | null };
  readonly gatewayId: string;
  readonly logLevel: z.infer<typeof envSchema>['FIREIOT_LOG_LEVEL'];
}
