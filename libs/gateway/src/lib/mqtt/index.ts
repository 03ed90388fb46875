// Device secrets moved to @fireiot/secrets; these aliases keep former importers compiling.
/** @deprecated import `hashSecret` from `@fireiot/secrets`. */
export { hashSecret as hashDeviceSecret, verifySecret as verifyDeviceSecret } from '@fireiot/secrets';
export * from './embedded-mqtt.broker';
export * from './external-mqtt.bridge';
export * from './mqtt-connection.guard';
export * from './mqtt-ingest.error';
export * from './mqtt-ingest.service';
export * from './mqtt-topic.util';
