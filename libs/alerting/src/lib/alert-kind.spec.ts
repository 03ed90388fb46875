import { ALERT_KINDS, AlertKind, clauseOf, DEADLINE_MS, isAlertKind, isUrgent, ITEM_432 } from './alert-kind';

describe(clauseOf.name, () => {
  it.each<[AlertKind, string, number]>([
    ['fire-alarm', '4.3.1', 3_000],
    ['fault', '4.3.2', 10_000],
    ['abnormal', '4.3.2', 10_000],
    ['restored', '4.3.2', 10_000],
    ['communication-loss', '4.4.2', 100_000],
  ])('judges %s by CQC/SC 11002 %s, deadline %i ms', (kind, clause, deadline) => {
    expect(clauseOf(kind)).toBe(clause);
    expect(DEADLINE_MS[clauseOf(kind)]).toBe(deadline);
  });
});

describe('DEADLINE_MS', () => {
  it('is 3 s for 4.3.1 (fire), 10 s for 4.3.2 (abnormal/fault), 100 s for 4.4.2 (communication)', () => {
    expect(DEADLINE_MS).toEqual({ '4.3.1': 3_000, '4.3.2': 10_000, '4.4.2': 100_000 });
  });
});

describe('ITEM_432', () => {
  it('names the six kinds CQC/SC 11002 4.3.2 requires at least (a–f)', () => {
    expect(Object.keys(ITEM_432)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(ITEM_432.a).toMatch(/detector fault/);
    expect(ITEM_432.f).toMatch(/hydrant/);
  });
});

describe(isUrgent.name, () => {
  it('puts fire alarms (4.3.1) ahead of everything else', () => {
    expect(ALERT_KINDS.filter(isUrgent)).toEqual(['fire-alarm']);
  });
});

describe(isAlertKind.name, () => {
  it('accepts the five kinds and nothing else', () => {
    expect(ALERT_KINDS.every(isAlertKind)).toBe(true);
    expect(['fire', 'FAULT', '', 'restore', 'communication'].some(isAlertKind)).toBe(false);
  });
});
