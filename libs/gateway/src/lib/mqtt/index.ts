export * from './embedded-mqtt.broker';
export * from './external-mqtt.bridge';
export * from './mqtt-connection.guard';
export * from './mqtt-ingest.error';
export * from './mqtt-ingest.service';
export * from './mqtt-topic.util';
