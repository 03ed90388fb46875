/**
 * Failures of the MQTT ingestion module (not the quarantine reasons of bad input, which are
 * outcomes, see `MqttQuarantineCode`).
 *
 * - `publish-refused`: a publication the broker refuses (another device's id, a topic outside
 *   the device's namespace); the broker closes the connection (MQTT-3.3.5-2).
 * - `store-failed`: the message could not be stored durably; it is not acknowledged, so the
 *   sender (device or broker) retransmits it.
 * - `listen-failed`, `connect-failed`: the embedded broker's socket or the bridge's connection.
 * - `not-started`, `already-started`: lifecycle misuse.
 */
export type MqttIngestErrorCode =
  'publish-refused' | 'store-failed' | 'listen-failed' | 'connect-failed' | 'not-started' | 'already-started';

export class MqttIngestError extends Error {
  constructor(
    readonly code: MqttIngestErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MqttIngestError';
  }
}
