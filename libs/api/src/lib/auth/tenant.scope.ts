import { IdentityError, Principal } from '@fireiot/identity';

/**
 * Which unit's records the caller may read: null = all (operators, auditors), else the unit of a
 * unit user (tenant isolation: other units' records are "not found" to them).
 */
export function unitScope(principal: Principal): string | null {
  switch (principal.role) {
    case 'operator':
    case 'auditor':
      return null;
    case 'unit':
      if (principal.unitId === null) throw new IdentityError('forbidden', 'a unit account without a unit');
      return principal.unitId;
  }
}

/** Whether the caller may see records of `unitId` (null: an unprovisioned device's). */
export function canSeeUnit(principal: Principal, unitId: string | null): boolean {
  const scope = unitScope(principal);
  return scope === null || scope === unitId;
}
