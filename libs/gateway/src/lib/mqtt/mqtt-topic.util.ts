/**
 * The MQTT topic grammar of fireiot (docs/mqtt.md):
 *
 *   fireiot/v1/devices/{deviceId}/events      sensor events (JSON, `sensorPayloadSchema`)
 *   fireiot/v1/devices/{deviceId}/heartbeat   signs of life (JSON, `heartbeatPayloadSchema`)
 *
 * `deviceId`: 1–64 characters of [A-Za-z0-9._-]; the device's MQTT username and client id.
 */
export const MQTT_TOPIC_ROOT = 'fireiot/v1/devices';
export const MQTT_CHANNELS = ['events', 'heartbeat'] as const;
export type MqttChannel = (typeof MQTT_CHANNELS)[number];

const DEVICE_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function isValidDeviceId(id: string): boolean {
  return DEVICE_ID.test(id);
}

/** `mqtt:<deviceId>`: the device key of an MQTT device in the registry and the raw tables. */
export function mqttDeviceKey(deviceId: string): string {
  return `mqtt:${deviceId}`;
}

/** `fireiot/v1/devices/{deviceId}`: the namespace a device may publish and subscribe in. */
export function deviceNamespace(deviceId: string): string {
  return `${MQTT_TOPIC_ROOT}/${deviceId}`;
}

export type ParsedTopic =
  /** A topic of the grammar. */
  | { readonly kind: 'device'; readonly deviceId: string; readonly channel: MqttChannel }
  /** Under a device's namespace, but not a known channel (`…/{deviceId}/status`, deeper levels). */
  | { readonly kind: 'unknown-channel'; readonly deviceId: string }
  /** Names no device: outside `fireiot/v1/devices/`, or an invalid device id. */
  | { readonly kind: 'no-device' };

export function parseTopic(topic: string): ParsedTopic {
  const prefix = `${MQTT_TOPIC_ROOT}/`;
  if (!topic.startsWith(prefix)) return { kind: 'no-device' };
  const rest = topic.slice(prefix.length);
  const slash = rest.indexOf('/');
  const deviceId = slash < 0 ? rest : rest.slice(0, slash);
  if (!isValidDeviceId(deviceId)) return { kind: 'no-device' };
  const channel = slash < 0 ? '' : rest.slice(slash + 1);
  for (const known of MQTT_CHANNELS) if (channel === known) return { kind: 'device', deviceId, channel: known };
  return { kind: 'unknown-channel', deviceId };
}

/**
 * Whether a subscription filter stays inside a device's own namespace: the namespace itself or
 * anything below it. Wildcards after the literal prefix cannot leave it (`+` and `#` match
 * within levels below the prefix only).
 */
export function isWithinNamespace(filter: string, deviceId: string): boolean {
  const base = deviceNamespace(deviceId);
  return filter === base || filter.startsWith(`${base}/`);
}
