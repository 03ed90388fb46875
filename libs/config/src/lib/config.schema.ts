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
  // Alerting (CQC/SC 11002 4.3). Twilio: all three credentials, or none (channels "not configured").
  TWILIO_ACCOUNT_SID: optionalString,
  TWILIO_AUTH_TOKEN: optionalString,
  TWILIO_FROM: optionalString,
  TWILIO_API_BASE: z.url({ protocol: /^https?$/ }).default('https://api.twilio.com'),
  FIREIOT_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  FIREIOT_BOOTSTRAP_ADMIN: z
    .string()
    .regex(/^[^:\s]{1,64}:.{8,200}$/, 'user:password (password of at least 8 characters)')
    .optional(),
  /** A provider request not answered within this time is a failed attempt (then retried or failed over). */
  FIREIOT_PROVIDER_TIMEOUT_MS: positiveInt.default(5000),
  /** Attempts per channel and contact before failing over (first try included). */
  FIREIOT_NOTIFY_ATTEMPTS: positiveInt.max(10).default(3),
  FIREIOT_NOTIFY_BACKOFF_MS: positiveInt.default(500),
  /** Default for units: nobody confirmed an alert within this time → escalate to the next contact. */
  FIREIOT_ESCALATE_AFTER_S: positiveInt.default(300),
  FIREIOT_TOKEN_TTL_H: positiveInt.max(24 * 30).default(12),
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
  readonly twilio: {
    /** Null when TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM are not all set. */
    readonly credentials: { readonly accountSid: string; readonly authToken: string; readonly from: string } | null;
    /** REST base URL (no trailing slash). */
    readonly apiBase: string;
  };
  /** Base URL providers call back (delivery status), no trailing slash. */
  readonly publicUrl: string;
  readonly bootstrapAdmin: { readonly username: string; readonly password: string } | null;
  readonly notify: {
    readonly providerTimeoutMs: number;
    readonly attempts: number;
    readonly backoffMs: number;
    readonly escalateAfterMs: number;
  };
  readonly auth: { readonly tokenTtlMs: number };
}
