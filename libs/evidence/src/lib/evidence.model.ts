/** Rows of the evidence tables (libs/storage/src/migrations/1763790000000_alerting.sql). */

export type AlertKindName = 'fire-alarm' | 'fault' | 'abnormal' | 'communication-loss' | 'restored';
export type Suppression = 'shielded' | 'out-of-scope' | 'no-unit';

export interface AlertRow {
  readonly id: string;
  readonly unitId: string | null;
  readonly deviceId: string | null;
  readonly deviceKey: string;
  readonly subject: string;
  readonly kind: AlertKindName;
  readonly clause: '4.3.1' | '4.3.2' | '4.4.2';
  readonly item: string | null;
  readonly ruleId: string;
  readonly title: string;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly sourceTable: string;
  readonly sourceId: string;
  readonly receivedAt: string;
  readonly classifiedAt: string;
  readonly deadlineMs: number;
  readonly restores: string | null;
  readonly suppressed: Suppression | null;
}

/**
 * `received`, `verified`, `notified`: the monitoring centre's handling steps (CQC/SC 11002 5.4.1 e,
 * the alarm handling register), between the alarm coming in and its close.
 */
export type AlertEventType =
  'repeated' | 'confirmed' | 'closed' | 'escalated' | 'channel-gap' | 'received' | 'verified' | 'notified';

/** The handling steps an operator records, in the order of the register (5.4.1 e). */
export type HandlingStep = 'received' | 'verified' | 'notified';
export const HANDLING_STEPS: readonly HandlingStep[] = ['received', 'verified', 'notified'];

export interface AlertEventRow {
  readonly alertId: string;
  readonly type: AlertEventType;
  readonly at: string;
  readonly actor: string | null;
  readonly note: string | null;
  readonly sourceId: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** An event as the register shows it: with the actor's username (null: no actor, or an unknown account). */
export interface AlertEventView extends AlertEventRow {
  readonly actorName: string | null;
}

export type AttemptChannel = 'app' | 'sms' | 'voice';
export type AttemptStatus = 'dispatched' | 'accepted' | 'delivered' | 'failed' | 'queued' | 'not-configured';

export interface AttemptRow {
  readonly alertId: string;
  readonly attemptKey: string;
  readonly channel: AttemptChannel;
  readonly recipient: string | null;
  readonly address: string | null;
  readonly attemptNo: number;
  readonly status: AttemptStatus;
  readonly at: string;
  readonly providerRef: string | null;
  readonly error: string | null;
  /** `accepted`: µs from the alert's receive time to this hand-over. */
  readonly elapsedUs: number | null;
  readonly deadlineMet: boolean | null;
}

/** An alert's lifecycle, derived from its rows: raised → notified → confirmed → closed. */
export type AlertState = 'suppressed' | 'raised' | 'notified' | 'confirmed' | 'closed';

/**
 * How far the monitoring centre's handling got (5.4.1 e): the furthest step recorded in the order
 * new → received → verified → notified → closed; closed (by a person or a restoration) wins.
 */
export type AlertHandling = 'new' | HandlingStep | 'closed';

export interface AlertSummary extends AlertRow {
  readonly state: AlertState;
  /** First hand-over to the unit on any channel (CQC83-831102-2025 Annex B "sent to the unit"). */
  readonly firstSentAt: string | null;
  readonly firstSentElapsedMs: number | null;
  readonly deadlineMet: boolean | null;
  readonly confirmedAt: string | null;
  readonly closedAt: string | null;
  readonly repeats: number;
  readonly handling: AlertHandling;
}

export interface AlertDetail extends AlertSummary {
  readonly events: readonly AlertEventView[];
  readonly attempts: readonly AttemptRow[];
}
