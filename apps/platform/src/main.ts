import 'reflect-metadata';
import { bootstrapLogger, runUntilSignalled } from '@fireiot/runtime';

/** `npm start`: the whole platform in one process, embedded defaults (contract.md). */
runUntilSignalled(process.env).catch((error: unknown) => {
  bootstrapLogger.error({
    msg: 'the platform did not start',
    error: error instanceof Error ? error.message : String(error),
  });
  process.exit(1);
});
