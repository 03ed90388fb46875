/**
 * What the web apps read from the platform's HTTP API and socket.io `/alerts` (contract.md,
 * "HTTP API" and "App channel"). Only the fields the pages use; the server sends more.
 */

export type Role = 'operator' | 'unit' | 'auditor';

export interface Me {
  readonly userId: string;
  readonly username: string;
  readonly role: Role;
  readonly unitId: string | null;
  readonly unitName: string | null;
  /** The platform's time zone (IANA): every time on screen is shown in it. */
  readonly timeZone: string;
}

export type AlertKind = 'fire-alarm' | 'fault' | 'abnormal' | 'communication-loss' | 'restored';
export const ALERT_KINDS: readonly AlertKind[] = ['fire-alarm', 'fault', 'abnormal', 'communication-loss', 'restored'];

export type AlertState = 'suppressed' | 'raised' | 'notified' | 'confirmed' | 'closed';
/** The monitoring centre's handling of an alarm (CQC/SC 11002 5.4.1 e). */
export type HandlingStage = 'new' | 'received' | 'verified' | 'notified' | 'closed';
export type HandlingStep = 'received' | 'verified' | 'notified';

export interface AlertSummary {
  readonly id: string;
  readonly unitId: string | null;
  readonly deviceId: string | null;
  readonly deviceKey: string;
  readonly subject: string;
  readonly kind: AlertKind;
  readonly clause: string;
  readonly item: string | null;
  readonly title: string;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly receivedAt: string;
  readonly deadlineMs: number;
  readonly restores: string | null;
  readonly suppressed: string | null;
  readonly state: AlertState;
  readonly handling: HandlingStage;
  readonly firstSentAt: string | null;
  readonly firstSentElapsedMs: number | null;
  readonly deadlineMet: boolean | null;
  readonly confirmedAt: string | null;
  readonly closedAt: string | null;
  readonly repeats: number;
}

export interface AlertEvent {
  readonly type: string;
  readonly at: string;
  readonly actor: string | null;
  readonly actorName?: string | null;
  readonly note: string | null;
}

export interface Attempt {
  readonly attemptKey: string;
  readonly channel: 'app' | 'sms' | 'voice';
  readonly recipient: string | null;
  readonly address: string | null;
  readonly attemptNo: number;
  readonly status: string;
  readonly at: string;
  readonly error: string | null;
  readonly elapsedUs: number | null;
  readonly deadlineMet: boolean | null;
}

export interface AlertDetail extends AlertSummary {
  readonly events: readonly AlertEvent[];
  readonly attempts: readonly Attempt[];
}

/** socket.io `alert`: a new alert pushed to the app (acknowledged with the callback). */
export interface AlertPush {
  readonly alertId: string;
  readonly unitId: string;
  readonly deviceKey: string;
  readonly kind: AlertKind;
  readonly clause: string;
  readonly title: string;
  readonly location: string | null;
  readonly receivedAt: string;
  readonly sentAt: string;
}

/** socket.io `alert-updated`: a step of an alert's handling (confirmed, closed, …). */
export interface AlertUpdate {
  readonly alertId: string;
  readonly unitId: string | null;
  readonly type: string;
  readonly at: string;
}

/** socket.io `operator-alert`: the platform about itself (capacity, abnormal access). */
export interface OperatorAlert {
  readonly id: string;
  readonly kind: string;
  readonly clause: string;
  readonly title: string;
  readonly raisedAt: string;
}

export type CommunicationState = 'online' | 'silent' | 'lost' | 'never-seen';

export interface Device {
  readonly id: string;
  readonly kind: 'uitd' | 'collector';
  readonly address: string;
  readonly deviceKey: string;
  readonly power: 'mains' | 'battery';
  readonly unitId: string | null;
  readonly unit: { readonly id: string; readonly name: string } | null;
  readonly lastSeenAt: string | null;
  readonly description: string | null;
  readonly patrolPeriodS: number;
  readonly communication: {
    readonly state: CommunicationState;
    readonly lastSeenAt: string | null;
    readonly since: string | null;
    readonly cause: string | null;
  };
  readonly lastPatrol: { readonly status: string; readonly at: string } | null;
  readonly activeShields: number;
}

export interface Reading {
  readonly at: string;
  readonly source: 'gb26875' | 'mqtt';
  readonly summary: string;
  readonly data: unknown;
}

export interface Shield {
  readonly shieldId: string;
  readonly deviceId: string;
  readonly deviceKey: string;
  readonly subject: string | null;
  readonly reason: string;
  readonly at: string;
  readonly expiresAt: string;
  readonly lifted: { readonly at: string; readonly reason: string } | null;
  readonly active: boolean;
}

export interface DutyEntry {
  readonly id: string;
  readonly at: string;
  readonly kind: 'start' | 'end' | 'entry' | 'handover';
  readonly userId: string;
  readonly username: string;
  readonly note: string | null;
  readonly to: { readonly userId: string; readonly username: string } | null;
  readonly openAlerts: ReadonlyArray<{
    id: string;
    kind: AlertKind;
    title: string;
    deviceKey: string;
    receivedAt: string;
  }> | null;
  readonly openAlertsTotal: number | null;
}

export interface DutyView {
  readonly onDuty: ReadonlyArray<{ userId: string; username: string; since: string }>;
  readonly entries: readonly DutyEntry[];
}

export interface MaintenanceDue {
  readonly asOf: string;
  readonly total: number;
  readonly due: number;
  readonly overdue: number;
  readonly items: ReadonlyArray<{
    readonly object: string;
    readonly deviceKey: string | null;
    readonly unitId: string | null;
    readonly itemId: string;
    readonly period: string;
    readonly title: { readonly zh: string; readonly en: string };
    readonly lastDoneAt: string | null;
    readonly nextDueAt: string;
    readonly status: string;
  }>;
}

export interface Unit {
  readonly id: string;
  readonly name: string;
}

/** The platform's error body: `{ error: { code, message } }`. */
export interface ApiErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}
