import { LatencyHistogram, type LatencySummary } from './latency.histogram';

/** Why a device uploaded a frame (GB/T 26875.3 command 2, send data). */
export type UploadKind = 'heartbeat' | 'fire' | 'fault' | 'telemetry' | 'duty-check-answer' | 'custom';

export const UPLOAD_KINDS: readonly UploadKind[] = [
  'heartbeat',
  'fire',
  'fault',
  'telemetry',
  'duty-check-answer',
  'custom',
];

/** What the simulator has seen, for one device or a whole swarm (see `SimulatorCounters`). */
export interface SimulatorStats {
  readonly connections: {
    /** Devices simulated. */
    readonly devices: number;
    /** Devices connected now. */
    readonly connected: number;
    /** Successful TCP connections, reconnections included. */
    readonly connects: number;
    /** Connections closed (by either side) after having been established. */
    readonly disconnects: number;
    /** Socket errors: connection refused, reset, timed out… */
    readonly errors: number;
    /** The same by error code (`ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`, …). */
    readonly errorsByCode: Readonly<Record<string, number>>;
  };
  readonly uploads: {
    /** Uploads written (first transmissions; retransmissions are counted apart). */
    readonly sent: number;
    readonly confirmed: number;
    /** Retransmissions written (identical bytes, after a confirm timeout). */
    readonly retransmitted: number;
    /** No confirm after the last retry. */
    readonly failed: number;
    /** Answered by a deny (command 6). */
    readonly denied: number;
    /** Still waiting when the simulator stopped (and gave up waiting). */
    readonly unconfirmed: number;
    /** Waiting for their confirm now. */
    readonly inFlight: number;
    /** Not written: device not connected, silent, or at its in-flight limit (telemetry only). */
    readonly notSent: number;
    readonly sentByKind: Readonly<Record<UploadKind, number>>;
  };
  readonly downlink: {
    /** Frames from the centre that are not replies to uploads (commands 1, 4, and stray ones). */
    readonly received: number;
    /** Patrols (type 81, read UITD state) answered with type 21. */
    readonly patrolsAnswered: number;
    /** Patrols deliberately left unanswered (`answerPatrols: false`). */
    readonly patrolsIgnored: number;
    /** Duty checks (type 91, 查岗) answered (type 24 with the duty-check-answer bit). */
    readonly dutyChecksAnswered: number;
    readonly dutyChecksIgnored: number;
    /** Clock synchronisations (type 90) applied and confirmed. */
    readonly clockSyncs: number;
    /** Initialisations (type 89) confirmed. */
    readonly inits: number;
    /** Other read requests (types 61–68, 84–86, 88) answered. */
    readonly readsAnswered: number;
    /** Requests and commands denied (command 6): unknown, malformed or not for a UITD. */
    readonly denied: number;
    /** Frames the device ignores: uploads or responses sent to it, replies to no pending upload. */
    readonly ignored: number;
  };
  /** Confirm round trip: from writing an upload (its last transmission) to reading its confirm. */
  readonly rttMs: LatencySummary;
}

function zeroByKind(): Record<UploadKind, number> {
  return { heartbeat: 0, fire: 0, fault: 0, telemetry: 0, 'duty-check-answer': 0, custom: 0 };
}

/**
 * The mutable counters behind `SimulatorStats`. A device counts into its own, or into the
 * counters it is given: a swarm hands one instance to all its devices so that a snapshot of
 * 20,000 devices costs nothing and the RTT histogram is shared.
 */
export class SimulatorCounters {
  devices = 0;
  connected = 0;
  connects = 0;
  disconnects = 0;
  errors = 0;
  readonly errorsByCode = new Map<string, number>();
  sent = 0;
  confirmed = 0;
  retransmitted = 0;
  failed = 0;
  denied = 0;
  unconfirmed = 0;
  inFlight = 0;
  notSent = 0;
  readonly sentByKind = zeroByKind();
  downlinkReceived = 0;
  patrolsAnswered = 0;
  patrolsIgnored = 0;
  dutyChecksAnswered = 0;
  dutyChecksIgnored = 0;
  clockSyncs = 0;
  inits = 0;
  readsAnswered = 0;
  downlinkDenied = 0;
  downlinkIgnored = 0;
  readonly rtt = new LatencyHistogram();

  countError(code: string): void {
    this.errors++;
    this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + 1);
  }

  snapshot(): SimulatorStats {
    return {
      connections: {
        devices: this.devices,
        connected: this.connected,
        connects: this.connects,
        disconnects: this.disconnects,
        errors: this.errors,
        errorsByCode: Object.fromEntries(this.errorsByCode),
      },
      uploads: {
        sent: this.sent,
        confirmed: this.confirmed,
        retransmitted: this.retransmitted,
        failed: this.failed,
        denied: this.denied,
        unconfirmed: this.unconfirmed,
        inFlight: this.inFlight,
        notSent: this.notSent,
        sentByKind: { ...this.sentByKind },
      },
      downlink: {
        received: this.downlinkReceived,
        patrolsAnswered: this.patrolsAnswered,
        patrolsIgnored: this.patrolsIgnored,
        dutyChecksAnswered: this.dutyChecksAnswered,
        dutyChecksIgnored: this.dutyChecksIgnored,
        clockSyncs: this.clockSyncs,
        inits: this.inits,
        readsAnswered: this.readsAnswered,
        denied: this.downlinkDenied,
        ignored: this.downlinkIgnored,
      },
      rttMs: this.rtt.summary(),
    };
  }
}

/** True when every upload written was confirmed and nothing is left waiting. */
export function allConfirmed(stats: SimulatorStats): boolean {
  const u = stats.uploads;
  return u.failed === 0 && u.denied === 0 && u.unconfirmed === 0 && u.inFlight === 0 && u.confirmed === u.sent;
}
