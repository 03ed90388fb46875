import 'reflect-metadata';
import { bootstrapLogger, runUntilSignalled } from '@fireiot/runtime';
import { AlertingModule } from '@fireiot/alerting-service';

/** `npm start`: the whole platform in one process, embedded defaults (contract.md). */
runUntilSignalled(process.env, { modules: [AlertingModule] }).catch((error: unknown) => {
  bootstrapLogger.error({
    msg: 'the platform did not start',
    error: error instanceof Error ? error.message : String(error),
  });
  process.exit(1);
});
