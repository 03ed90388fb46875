/**
 * Device profiles (CQC/SC 11002 4.4.2): how often a device shows life, how often the platform
 * patrols it, and how long a silence is tolerated before it is a communication loss.
 *
 * 4.4.2: patrol UITDs and mains-powered collectors at least every 30 min, battery collectors at
 * least every 24 h; identify a communication failure and alert the unit within 100 s. For mains
 * devices the silence threshold is therefore at most 90 s (the remaining 10 s are the platform's
 * budget to hand the alert over); battery collectors report on their period, and their deadline
 * is that period plus a grace.
 */
export type DeviceKind = 'uitd' | 'collector';
export type PowerSource = 'mains' | 'battery';

export interface DeviceProfile {
  /** How often the device is expected to send something (heartbeat, report), seconds. */
  readonly heartbeatS: number;
  /** Silence after the last sign of life that is a communication loss, seconds. */
  readonly silenceThresholdS: number;
  /** How often the platform patrols the device (UITDs: GB/T 26875.3 type 81), seconds. */
  readonly patrolPeriodS: number;
}

export type ProfileOverrides = Partial<Record<keyof DeviceProfile, number | null>>;

/** 4.4.2 limits. */
export const PATROL_MAX_S: Readonly<Record<PowerSource, number>> = { mains: 30 * 60, battery: 24 * 3600 };
/** Mains devices: the silence tolerated, so that loss + hand-over stays within 100 s. */
export const MAINS_SILENCE_MAX_S = 90;
/** Battery collectors: tolerance after a missed report before it is a loss. */
export const BATTERY_GRACE_S = 3600;

export const DEFAULT_PROFILES: Readonly<Record<PowerSource, DeviceProfile>> = {
  mains: { heartbeatS: 60, silenceThresholdS: 90, patrolPeriodS: 30 * 60 },
  battery: { heartbeatS: 24 * 3600, silenceThresholdS: 24 * 3600 + BATTERY_GRACE_S, patrolPeriodS: 24 * 3600 },
};

/** A UITD is mains-powered for these rules whatever its `power` says (it runs off the panel's supply). */
export function powerClass(kind: DeviceKind, power: PowerSource): PowerSource {
  return kind === 'uitd' ? 'mains' : power;
}

/** The profile in force: the device's own values over its class's defaults. */
export function effectiveProfile(kind: DeviceKind, power: PowerSource, own: ProfileOverrides = {}): DeviceProfile {
  const defaults = DEFAULT_PROFILES[powerClass(kind, power)];
  return {
    heartbeatS: own.heartbeatS ?? defaults.heartbeatS,
    silenceThresholdS: own.silenceThresholdS ?? defaults.silenceThresholdS,
    patrolPeriodS: own.patrolPeriodS ?? defaults.patrolPeriodS,
  };
}

/**
 * Why a profile breaks 4.4.2, or an empty list. A profile that cannot keep the 100 s bound is
 * refused, not stored with a warning: a unit would believe it is watched when it is not.
 */
export function profileProblems(kind: DeviceKind, power: PowerSource, profile: DeviceProfile): string[] {
  const cls = powerClass(kind, power);
  const problems: string[] = [];
  const { heartbeatS, silenceThresholdS, patrolPeriodS } = profile;
  for (const [name, value] of Object.entries(profile)) {
    if (!Number.isInteger(value) || value <= 0) problems.push(`${name} must be a positive whole number of seconds`);
  }
  if (patrolPeriodS > PATROL_MAX_S[cls]) {
    problems.push(
      `patrolPeriodS ${patrolPeriodS} exceeds ${PATROL_MAX_S[cls]} s, the 4.4.2 maximum for ${cls === 'mains' ? 'UITDs and mains-powered collectors' : 'battery collectors'}`,
    );
  }
  if (cls === 'mains' && silenceThresholdS > MAINS_SILENCE_MAX_S) {
    problems.push(
      `silenceThresholdS ${silenceThresholdS} exceeds ${MAINS_SILENCE_MAX_S} s: a loss would not be alerted within 100 s (4.4.2)`,
    );
  }
  if (cls === 'battery' && heartbeatS > PATROL_MAX_S.battery) {
    problems.push(`heartbeatS ${heartbeatS} exceeds 24 h, the 4.4.2 maximum reporting period of battery collectors`);
  }
  // The device must be expected to show life (its own heartbeat, or a patrol answer for UITDs)
  // more often than the silence tolerated, or it would be declared lost while healthy.
  const lifeEvery = kind === 'uitd' ? Math.min(heartbeatS, patrolPeriodS) : heartbeatS;
  if (lifeEvery >= silenceThresholdS) {
    problems.push(
      `silenceThresholdS ${silenceThresholdS} must exceed the interval the device shows life at (${lifeEvery} s)`,
    );
  }
  return problems;
}
