import { AlertRule, Condition } from './alert-rule';
import { Observation, Signal } from './observation';

/** A rule that applies to an observation, and whether its condition holds. */
export interface Evaluation {
  readonly rule: AlertRule;
  readonly active: boolean;
  /** The value the rule compared (analog and numeric sensor rules), for the alert's detail. */
  readonly value: number | string | null;
}

/**
 * Evaluates every rule that applies to the observation. A rule applies when the observation is
 * the kind of thing it watches (same ADU type and component type, same sensor kind and point…);
 * it is then active or clear, so the alarm book can raise an alarm or restore it.
 */
export function classify(observation: Observation, rules: readonly AlertRule[]): Evaluation[] {
  const out: Evaluation[] = [];
  for (const rule of rules) {
    if (rule.subjects !== undefined && !rule.subjects.includes(observation.subject)) continue;
    const evaluation = evaluate(rule.when, observation.signal);
    if (evaluation !== null) out.push({ rule, active: evaluation.active, value: evaluation.value });
  }
  return out;
}

function evaluate(when: Condition, signal: Signal): { active: boolean; value: number | string | null } | null {
  switch (when.on) {
    case 'state': {
      if (signal.type !== 'state' || !(when.aduTypes as readonly number[]).includes(signal.aduType)) return null;
      if (!matchesCode(signal.systemType, when.systemTypes)) return null;
      if (!matchesCode(signal.componentType, when.componentTypes)) return null;
      if (when.excludeComponentTypes && signal.componentType !== null) {
        if (when.excludeComponentTypes.includes(signal.componentType)) return null;
      }
      const hit = when.flags.find((f) => signal.flags.includes(f));
      return { active: hit !== undefined, value: hit ?? null };
    }
    case 'analog': {
      if (signal.type !== 'analog' || !when.analogTypes.includes(signal.analogType)) return null;
      if (!matchesCode(signal.componentType, when.componentTypes)) return null;
      return { active: outside(signal.value, when.below, when.above), value: signal.value };
    }
    case 'sensor': {
      if (signal.type !== 'sensor' || !when.sensorKinds.includes(signal.kind)) return null;
      if (when.where) {
        for (const [field, allowed] of Object.entries(when.where)) {
          const v = signal.fields[field];
          if (v === undefined || !allowed.includes(String(v))) return null;
        }
      }
      const value = signal.fields[when.field];
      if (value === undefined) return null;
      if (typeof value === 'number' && (when.below !== undefined || when.above !== undefined)) {
        return { active: outside(value, when.below, when.above), value };
      }
      const text = String(value);
      if (when.in !== undefined) return { active: when.in.includes(text), value: text };
      if (when.notIn !== undefined) return { active: !when.notIn.includes(text), value: text };
      return null;
    }
  }
}

function matchesCode(code: number | null, allowed: readonly number[] | undefined): boolean {
  return allowed === undefined || (code !== null && allowed.includes(code));
}

function outside(value: number, below: number | undefined, above: number | undefined): boolean {
  return (below !== undefined && value < below) || (above !== undefined && value > above);
}
