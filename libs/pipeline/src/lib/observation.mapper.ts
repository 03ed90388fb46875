import { Observation, SensorSignal } from '@fireiot/alerting';
import { FrameReceived, SensorEvent } from '@fireiot/events';
import { z } from 'zod';

/**
 * Maps what ingestion published to the classifier's observations: the GB/T 26875.3 objects that
 * carry states and analog values (types 1, 2, 3, 21), and MQTT sensor readings. Objects are
 * checked field by field here (the frame JSON's per-object fields are open on the bus); an
 * object that does not have the fields its type promises is skipped and counted.
 */
const code = z.object({ code: z.number().int(), name: z.string() });
const state = z.object({ raw: z.number().int(), flags: z.array(z.string()) });
const onSystem = { systemType: code, systemAddress: z.number().int() };
const onComponent = {
  ...onSystem,
  componentType: code,
  componentAddress: z.object({ value: z.number().int() }),
};
const description = z.string().optional();

const systemState = z.object({ ...onSystem, state }); // GB/T 26875.3 §8.2.1.1
const componentState = z.object({ ...onComponent, state, description }); // §8.2.1.2
const componentAnalog = z.object({ ...onComponent, analogType: code, value: z.number().nullable() }); // §8.2.1.3
const uitdState = z.object({ state }); // §8.2.1.9

export interface MappedObservations {
  readonly observations: Observation[];
  /** Objects of a mapped type that lacked their fields. */
  readonly malformed: number;
}

export function observationsOfFrame(message: FrameReceived, table = 'raw_frames'): MappedObservations {
  const adu = message.frame.adu;
  const observations: Observation[] = [];
  let malformed = 0;
  if (adu === null) return { observations, malformed };
  const base = (index: number, subject: string, location: string | null) => ({
    deviceKey: message.deviceKey,
    deviceId: message.deviceId,
    subject,
    location,
    receivedAt: message.receivedAt,
    source: { table, rawId: message.rawId, index },
  });
  adu.objects.forEach((object, index) => {
    switch (adu.type.code) {
      case 1: {
        const o = systemState.safeParse(object);
        if (!o.success) return void malformed++;
        const d = o.data;
        observations.push({
          ...base(index, `sys:${d.systemType.code}/${d.systemAddress}`, null),
          signal: {
            type: 'state',
            aduType: 1,
            systemType: d.systemType.code,
            componentType: null,
            flags: d.state.flags,
          },
        });
        return;
      }
      case 2: {
        const o = componentState.safeParse(object);
        if (!o.success) return void malformed++;
        const d = o.data;
        observations.push({
          ...base(index, componentSubject(d), d.description || null),
          signal: {
            type: 'state',
            aduType: 2,
            systemType: d.systemType.code,
            componentType: d.componentType.code,
            flags: d.state.flags,
          },
        });
        return;
      }
      case 3: {
        const o = componentAnalog.safeParse(object);
        if (!o.success) return void malformed++;
        const d = o.data;
        if (d.value === null) return; // unknown scale: nothing to compare
        // kPa is compared as MPa, so one threshold serves both (GB/T 26875.3 Table 6: types 4, 5).
        const kpa = d.analogType.name === 'pressure-kpa';
        observations.push({
          ...base(index, componentSubject(d), null),
          signal: {
            type: 'analog',
            systemType: d.systemType.code,
            componentType: d.componentType.code,
            analogType: kpa ? 'pressure-mpa' : d.analogType.name,
            value: kpa ? d.value / 1000 : d.value,
          },
        });
        return;
      }
      case 21: {
        const o = uitdState.safeParse(object);
        if (!o.success) return void malformed++;
        observations.push({
          ...base(index, 'uitd', null),
          signal: { type: 'state', aduType: 21, systemType: null, componentType: null, flags: o.data.state.flags },
        });
        return;
      }
      default:
        return;
    }
  });
  return { observations, malformed };
}

export function observationsOfSensor(message: SensorEvent, table = 'raw_mqtt'): Observation[] {
  const { kind, ...rest } = message.payload;
  const fields: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) fields[k] = v;
  const signal: SensorSignal = { type: 'sensor', kind, fields };
  return [
    {
      deviceKey: message.deviceKey,
      deviceId: message.deviceId,
      subject: 'sensor',
      location: message.payload.location ?? null,
      receivedAt: message.receivedAt,
      source: { table, rawId: message.rawId, index: 0 },
      signal,
    },
  ];
}

function componentSubject(d: {
  systemType: { code: number };
  systemAddress: number;
  componentAddress: { value: number };
}) {
  return `sys:${d.systemType.code}/${d.systemAddress}/comp:${d.componentAddress.value}`;
}
