/**
 * What the classifier looks at: one observation of one part of a device, in terms that do not
 * depend on the wire (GB/T 26875.3 objects and MQTT sensor payloads are mapped to these by the
 * pipeline). Keeps this library free of protocol and framework code.
 */
export interface ObservationSource {
  /** raw_frames | raw_mqtt */
  readonly table: string;
  /** Raw row id (decimal string). */
  readonly rawId: string;
  /** Index of the object within the frame (0 for MQTT). */
  readonly index: number;
}

export interface Observation {
  readonly deviceKey: string;
  readonly deviceId: string | null;
  /** The part of the device: `sys:1/1/comp:131082`, `sys:1/1`, `uitd`, `sensor`. */
  readonly subject: string;
  /** Where, as the device describes it (component description, sensor location). */
  readonly location: string | null;
  /** Gateway receive time, ISO 8601 UTC with µs. */
  readonly receivedAt: string;
  readonly source: ObservationSource;
  readonly signal: Signal;
}

export type Signal = StateSignal | AnalogSignal | SensorSignal;

/** GB/T 26875.3 state words: system (type 1), component (type 2), UITD (type 21). */
export interface StateSignal {
  readonly type: 'state';
  readonly aduType: number;
  readonly systemType: number | null;
  readonly componentType: number | null;
  readonly flags: readonly string[];
}

/** GB/T 26875.3 analog value (type 3), in the unit of its analog type. */
export interface AnalogSignal {
  readonly type: 'analog';
  readonly systemType: number;
  readonly componentType: number;
  /** Analog type name from the codec's table (`pressure-mpa`, `height`, …). */
  readonly analogType: string;
  readonly value: number;
}

/** An MQTT sensor reading (docs/mqtt.md): its kind and flat fields. */
export interface SensorSignal {
  readonly type: 'sensor';
  readonly kind: string;
  readonly fields: Readonly<Record<string, string | number | boolean>>;
}
