/**
 * Alert kinds and the clause whose deadline each one is judged by (CQC/SC 11002 4.3, 4.4.2;
 * CQC83-831102-2025 Annex B tables B.1–B.3).
 */
export type AlertKind = 'fire-alarm' | 'fault' | 'abnormal' | 'communication-loss' | 'restored';
export const ALERT_KINDS: readonly AlertKind[] = ['fire-alarm', 'fault', 'abnormal', 'communication-loss', 'restored'];

export type Clause = '4.3.1' | '4.3.2' | '4.4.2';

/** 4.3.2 a–f: the abnormal/fault kinds the clause requires at least. */
export type Item432 = 'a' | 'b' | 'c' | 'd' | 'e' | 'f';

export const ITEM_432: Readonly<Record<Item432, string>> = {
  a: 'fire detector fault',
  b: 'fire water tank/pool level abnormal',
  c: 'low pressure at the most unfavourable point of a water-supply zone',
  d: 'fire pump / jockey pump control cabinet in non-automatic mode',
  e: 'fire pump / jockey pump control cabinet power fault',
  f: 'test hydrant / outdoor hydrant low pressure',
};

/** Deadline from receive to "sent to the unit", per clause. */
export const DEADLINE_MS: Readonly<Record<Clause, number>> = {
  '4.3.1': 3_000, // fire alarm: 3 s
  '4.3.2': 10_000, // abnormal / fault: 10 s
  '4.4.2': 100_000, // communication failure: identify and alert within 100 s
};

export function clauseOf(kind: AlertKind): Clause {
  switch (kind) {
    case 'fire-alarm':
      return '4.3.1';
    case 'fault':
    case 'abnormal':
    case 'restored':
      return '4.3.2';
    case 'communication-loss':
      return '4.4.2';
  }
}

/** Fire alarms first; everything else after. Used for queues and channel fan-out. */
export function isUrgent(kind: AlertKind): boolean {
  return kind === 'fire-alarm';
}

export function isAlertKind(value: string): value is AlertKind {
  return (ALERT_KINDS as readonly string[]).includes(value);
}
