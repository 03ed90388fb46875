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

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/**
 * The canonical spelling of an IANA time zone name the runtime knows (`asia/shanghai` →
 * `Asia/Shanghai`), or null. Offsets (`+08:00`), which newer runtimes also accept, are not zones.
 */
export function canonicalTimeZone(zone: string): string | null {
  if (!/^[A-Za-z]/.test(zone)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

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
  /** Failed logins one client address may make for one username within FIREIOT_LOGIN_WINDOW_MIN; more are refused (429). */
  FIREIOT_LOGIN_MAX_FAILURES: positiveInt.max(1000).default(10),
  FIREIOT_LOGIN_WINDOW_MIN: positiveInt.max(24 * 60).default(15),
  /** GB/T 26875.3 §6.4: wait for a patrol answer (≤ 10 s) and retransmissions before it is missed. */
  FIREIOT_PATROL_TIMEOUT_S: positiveInt.max(10).default(10),
  FIREIOT_PATROL_RETRIES: z.coerce.number().int().min(0).max(3).default(3),
  /** A connected device's frames announce it alive at most this often (the watchdog's input rate). */
  FIREIOT_PRESENCE_INTERVAL_S: positiveInt.max(30).default(5),
  /** How often the watchdog looks at its deadlines (the detection granularity). */
  FIREIOT_WATCHDOG_TICK_MS: z.coerce.number().int().min(10).max(5000).default(250),
  /** HTTP requests one client IP may make per minute before it is throttled and operators are told (4.4.1). */
  FIREIOT_ACCESS_MAX_PER_IP_PER_MIN: positiveInt.default(3000),
  /** How long an offending IP is throttled (429). */
  FIREIOT_ACCESS_THROTTLE_S: positiveInt.default(60),
  /** Total requests per minute above this many times the recent average is a spike (operators are told). */
  FIREIOT_ACCESS_SPIKE_FACTOR: z.coerce.number().min(2).max(1000).default(10),
  /** How often database size and disk space are sampled (4.4.3). */
  FIREIOT_CAPACITY_SAMPLE_S: positiveInt.default(300),
  /** Storage the platform may use in bytes (a quota, a managed database's size); unset = the data disk. */
  FIREIOT_STORAGE_BUDGET_BYTES: z.coerce.number().int().positive().optional(),
  /** Forecast headroom below this many days raises an operator alert (4.4.3: at least one year). */
  FIREIOT_HEADROOM_MIN_DAYS: positiveInt.min(365).default(365),
  /**
   * The monitoring centre's time zone (IANA name): how the web console and the unit apps show
   * times (CQC/SC 11002 4.2, 5.4.1: registers read in local time). Stored times stay UTC.
   */
  FIREIOT_TIME_ZONE: z
    .string()
    .trim()
    .transform((zone, ctx) => {
      const canonical = canonicalTimeZone(zone === '' ? DEFAULT_TIME_ZONE : zone);
      if (canonical === null) {
        ctx.addIssue({ code: 'custom', message: 'an IANA time zone name such as Asia/Shanghai' });
        return z.NEVER;
      }
      return canonical;
    })
    .default(DEFAULT_TIME_ZONE),
  /** A directory with the built web console (index.html, assets/); unset = no web UI served. */
  FIREIOT_WEB_DIR: optionalString,
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
  readonly auth: {
    readonly tokenTtlMs: number;
    /** Failed logins per (client address, username) allowed within `loginWindowMs`. */
    readonly loginMaxFailures: number;
    readonly loginWindowMs: number;
  };
  /** Device watchdog and patrol (CQC/SC 11002 4.4.2). */
  readonly watchdog: {
    readonly patrolTimeoutMs: number;
    readonly patrolRetries: number;
    readonly presenceIntervalMs: number;
    readonly tickMs: number;
  };
  /** Platform self-monitoring (4.4.1 access, 4.4.3 capacity). */
  readonly monitoring: {
    readonly accessMaxPerIpPerMinute: number;
    readonly accessThrottleMs: number;
    readonly accessSpikeFactor: number;
    readonly capacitySampleMs: number;
    readonly storageBudgetBytes: number | null;
    readonly headroomMinDays: number;
  };
  /** IANA time zone the console and apps show times in (FIREIOT_TIME_ZONE, default Asia/Shanghai). */
  readonly timeZone: string;
  /** The web console (FIREIOT_WEB_DIR): `dir` null = not served. */
  readonly web: { readonly dir: string | null };
}
