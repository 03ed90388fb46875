import 'reflect-metadata';
import { bootstrapLogger, runUntilSignalled } from '@fireiot/runtime';

/** The device gateway alone (distributed mode: one of several processes, each scaled on its own). */
runUntilSignalled(process.env).catch((error: unknown) => {
  bootstrapLogger.error({
    msg: 'the platform did not start',
    error: error instanceof Error ? error.message : String(error),
  });
  process.exit(1);
});
