/** Who may log in: the monitoring centre's operators, networked units' users, auditors (read-only). */
export type Role = 'operator' | 'unit' | 'auditor';
export const ROLES: readonly Role[] = ['operator', 'unit', 'auditor'];

/** The authenticated caller of an HTTP request or a socket.io connection. */
export interface Principal {
  readonly userId: string;
  readonly username: string;
  readonly role: Role;
  /** The unit a `unit` user belongs to (tenant scope); null for operators and auditors. */
  readonly unitId: string | null;
}
