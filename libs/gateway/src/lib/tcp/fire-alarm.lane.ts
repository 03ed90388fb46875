import { Frame } from '@fireiot/gb26875';
import { TopicName } from '@fireiot/events';

/**
 * Which bus topic a stored upload goes to. Anything that reports a fire alarm (system state
 * type 1, component state type 2, UITD state type 21 with the `fire-alarm` flag) takes the
 * priority lane, so it never queues behind telemetry (CQC/SC 11002 4.3.1, 3 s).
 */
export function laneOf(frame: Frame): TopicName {
  const adu = frame.adu;
  if (adu === null) return 'fireiot.ingest.frames.v1';
  for (const object of adu.objects) {
    const state = (object as { state?: { flags?: readonly string[] } }).state;
    if (state?.flags?.includes('fire-alarm')) return 'fireiot.ingest.fire-alarms.v1';
  }
  return 'fireiot.ingest.frames.v1';
}

/** Heartbeats (GB/T 26875.3 type-21 UITD state uploads, empty send-data frames): signs of life. */
export function isHeartbeat(frame: Frame): boolean {
  return frame.adu === null || frame.adu.type.code === 21;
}
