import { ConsoleLogger, DynamicModule, INestApplication, Logger, LogLevel, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { FireiotConfig, loadConfig } from '@fireiot/config';
import { Gb26875ServerOptions } from '@fireiot/gateway';
import { DatabaseHandle } from '@fireiot/storage';
import { PlatformLifecycle } from './platform.lifecycle';
import { IngestionModule } from './ingestion.module';
import { mountWebUi, webUiIndex } from './web-ui.static';

export interface RunningPlatform {
  readonly app: INestApplication;
  /** gb26875 and mqtt are null in a process without device ingestion. */
  readonly ports: { http: number; gb26875: number | null; mqtt: number | null };
  stop(): Promise<void>;
}

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Builds, starts and returns the platform; `stop()` shuts it down in order. */
export interface PlatformOptions {
  readonly gateway?: Gb26875ServerOptions;
  /** More Nest modules to run in the same process (apps/platform: alerting). */
  readonly modules?: readonly (Type | DynamicModule)[];
  /** false: no device gateway in this process (apps/alerting in the distributed mode). */
  readonly ingest?: boolean;
}

export async function startPlatform(config: FireiotConfig, options: PlatformOptions = {}): Promise<RunningPlatform> {
  const app = await NestFactory.create<NestExpressApplication>(
    IngestionModule.forRoot(config, options.gateway, options.modules, options.ingest ?? true),
    {
      logger: platformLogger(config),
      abortOnError: false,
    },
  );
  // The web console (FIREIOT_WEB_DIR), mounted before the routes are, which listen() registers.
  mountWebUi(app, config.web.dir);
  const lifecycle = app.get(PlatformLifecycle);
  const { gb26875, mqtt } = await lifecycle.start();
  await app.listen(config.http.port, config.host);
  const address = app.getHttpServer().address() as { port: number } | null;
  const http = address?.port ?? config.http.port;
  let stopping: Promise<void> | null = null;
  return {
    app,
    ports: { http, gb26875, mqtt },
    stop: () =>
      (stopping ??= (async () => {
        await lifecycle.stop();
        await app.close();
      })()),
  };
}

/** Structured logs: one JSON object per line, or compact coloured lines on a terminal. */
export function platformLogger(config: FireiotConfig): ConsoleLogger {
  const tty = process.stdout.isTTY === true;
  return new ConsoleLogger({
    logLevels: LEVELS.slice(0, LEVELS.indexOf(config.logLevel) + 1),
    json: !tty,
    colors: tty,
    compact: true,
  });
}

export function describeListeners(config: FireiotConfig, ports: RunningPlatform['ports']): string {
  const host = config.host === '0.0.0.0' ? 'localhost' : config.host;
  const devices =
    ports.gb26875 === null
      ? ['  devices        not in this process (the gateway app ingests them)']
      : [
          `  GB/T 26875.3   tcp://${host}:${ports.gb26875}`,
          `  MQTT           ${ports.mqtt === null ? `external broker ${config.mqtt.url ?? ''}` : `mqtt://${host}:${ports.mqtt} (embedded broker)`}`,
        ];
  return [
    'fireiot is running',
    `  HTTP API       http://${host}:${ports.http}   (GET /healthz, /readyz, /metrics; /api/…; socket.io /alerts)`,
    ...(webUiIndex(config.web.dir) === null ? [] : [`  web console    http://${host}:${ports.http}/`]),
    ...devices,
    `  database       ${config.database.url === null ? `embedded PostgreSQL, data in ${config.dataDir}/pg` : 'external (FIREIOT_DATABASE_URL)'}`,
    `  event bus      ${config.kafka.brokers === null ? 'in-process' : `Kafka ${config.kafka.brokers.join(',')}`}`,
    'Ctrl-C stops it cleanly.',
  ].join('\n');
}

export const bootstrapLogger = new Logger('Platform');

/**
 * The body of an app's `main.ts`: configuration from the environment, start, print the
 * listeners, and stop cleanly on the first SIGINT/SIGTERM (a second one exits at once).
 */
export async function runUntilSignalled(
  env: Readonly<Record<string, string | undefined>>,
  options: PlatformOptions = {},
): Promise<void> {
  const config = loadConfig(env);
  const platform = await startPlatform(config, options);
  process.stdout.write(`${describeListeners(config, platform.ports)}\n`);
  let signals = 0;
  const shutdown = (signal: string): void => {
    if (++signals > 1) {
      bootstrapLogger.warn({ msg: 'second signal: exiting now', signal });
      platform.app.get(DatabaseHandle).embedded?.signalFastShutdown();
      process.exit(130);
    }
    bootstrapLogger.log({ msg: 'shutting down', signal });
    platform.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        bootstrapLogger.error({ msg: 'shutdown failed', error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
