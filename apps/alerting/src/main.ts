import 'reflect-metadata';
import { AlertingModule } from '@fireiot/alerting-service';
import { bootstrapLogger, runUntilSignalled } from '@fireiot/runtime';

/**
 * Alerting alone (distributed mode): classification pipeline, notifier (socket.io `/alerts`,
 * SMS, voice) and the HTTP API, consuming the gateway's topics from Kafka. No device listener.
 */
runUntilSignalled(process.env, { modules: [AlertingModule], ingest: false }).catch((error: unknown) => {
  bootstrapLogger.error({
    msg: 'alerting did not start',
    error: error instanceof Error ? error.message : String(error),
  });
  process.exit(1);
});
