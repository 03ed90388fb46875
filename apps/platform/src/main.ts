import 'reflect-metadata';
import { loadConfig } from '@fireiot/config';
import { bootstrapLogger, describeListeners, startPlatform } from '@fireiot/runtime';

/** `npm start`: the whole platform in one process, embedded defaults (contract.md). */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const platform = await startPlatform(config);
  process.stdout.write(`${describeListeners(config, platform.ports)}\n`);
  let signals = 0;
  const shutdown = (signal: string): void => {
    if (++signals > 1) {
      bootstrapLogger.warn({ msg: 'second signal: exiting now', signal });
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

main().catch((error: unknown) => {
  bootstrapLogger.error({
    msg: 'the platform did not start',
    error: error instanceof Error ? error.message : String(error),
  });
  process.exit(1);
});
