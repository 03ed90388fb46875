import { Observation, Signal } from './observation';

/**
 * Observations as the pipeline builds them (libs/pipeline/src/lib/observation.mapper.ts):
 * GB/T 26875.3 states (types 1, 2, 21) and analog values (type 3), and MQTT sensor readings.
 */
export interface ObservationOptions {
  readonly deviceKey?: string;
  readonly rawId?: string;
  readonly index?: number;
  readonly table?: string;
  readonly receivedAt?: string;
  readonly location?: string | null;
  readonly subject?: string;
}

export const RECEIVED_AT = '2025-11-22T03:13:54.567890Z';

function observation(subject: string, signal: Signal, o: ObservationOptions, table: string): Observation {
  return {
    deviceKey: o.deviceKey ?? 'uitd:889',
    deviceId: null,
    subject: o.subject ?? subject,
    location: o.location ?? null,
    receivedAt: o.receivedAt ?? RECEIVED_AT,
    source: { table: o.table ?? table, rawId: o.rawId ?? '1', index: o.index ?? 0 },
    signal,
  };
}

/** Type 1, system state: subject `sys:<type>/<address>`. */
export function systemState(systemType: number, flags: readonly string[], o: ObservationOptions = {}): Observation {
  return observation(
    `sys:${systemType}/1`,
    { type: 'state', aduType: 1, systemType, componentType: null, flags },
    o,
    'raw_frames',
  );
}

/** Type 2, component state: subject `sys:1/1/comp:131082` (loop 2, point 10). */
export function componentState(
  componentType: number,
  flags: readonly string[],
  o: ObservationOptions = {},
): Observation {
  return observation(
    'sys:1/1/comp:131082',
    { type: 'state', aduType: 2, systemType: 1, componentType, flags },
    o,
    'raw_frames',
  );
}

/** Type 21, UITD state: subject `uitd`. */
export function uitdState(flags: readonly string[], o: ObservationOptions = {}): Observation {
  return observation(
    'uitd',
    { type: 'state', aduType: 21, systemType: null, componentType: null, flags },
    o,
    'raw_frames',
  );
}

/** Type 3, analog value (kPa already normalised to `pressure-mpa` by the mapper). */
export function analog(
  componentType: number,
  analogType: string,
  value: number,
  o: ObservationOptions = {},
): Observation {
  return observation(
    `sys:11/1/comp:${componentType}`,
    { type: 'analog', systemType: 11, componentType, analogType, value },
    o,
    'raw_frames',
  );
}

/** An MQTT sensor reading: subject `sensor`, the payload's fields without `kind`. */
export function sensor(
  kind: string,
  fields: Readonly<Record<string, string | number | boolean>>,
  o: ObservationOptions = {},
): Observation {
  return observation('sensor', { type: 'sensor', kind, fields }, { deviceKey: 'mqtt:sensor-1', ...o }, 'raw_mqtt');
}
