import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { FIREIOT_CONFIG, FireiotConfig } from '@fireiot/config';
import { DUMMY_SECRET_HASH, hashSecret, verifySecret } from '@fireiot/secrets';
import { IdentityError } from './identity.error';
import { AUTH_OPTIONS } from './identity.tokens';
import { LoginThrottle } from './login.throttle';
import { Principal, Role } from './principal';
import { SessionRepository } from './session.repository';
import { UserRepository } from './user.repository';

export interface AuthOptions {
  /** Milliseconds since the epoch (specs move it). */
  readonly now?: () => number;
  /** How long a verified token is trusted without asking the database again. */
  readonly cacheTtlMs?: number;
  /** Most tokens remembered; the oldest is forgotten first. */
  readonly cacheMax?: number;
}

export interface LoginResult {
  /** 32 random bytes, base64url: shown to the client once; only its SHA-256 is stored. */
  readonly accessToken: string;
  readonly expiresAt: Date;
  readonly principal: Principal;
}

export interface NewAccount {
  readonly username: string;
  readonly password: string;
  readonly role: Role;
  /** Required for `unit` users, null for the others. */
  readonly unitId: string | null;
}

export type BootstrapOutcome = 'created' | 'operator-exists' | 'not-configured';

/** Usernames: no whitespace or colon (FIREIOT_BOOTSTRAP_ADMIN is `user:password`), 1–64 characters. */
export const USERNAME_PATTERN = /^[^\s:]{1,64}$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 200;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

interface CachedToken {
  readonly principal: Principal;
  readonly expiresAtMs: number;
  readonly checkedAtMs: number;
}

/**
 * Accounts and bearer tokens. Tokens are opaque random strings looked up by their SHA-256, so a
 * stolen `sessions` table grants nothing and a token is revoked by deleting its row.
 *
 * Verified tokens are remembered briefly (30 s by default, bounded), so socket.io connections and
 * API requests do not cost a query each; a deleted session therefore stays usable on an instance
 * for at most that long. Expiry is checked on every call, cached or not.
 */
@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);
  private readonly cache = new Map<string, CachedToken>();
  private readonly now: () => number;
  private readonly cacheTtlMs: number;
  private readonly cacheMax: number;
  private readonly throttle: LoginThrottle;

  constructor(
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    @Inject(FIREIOT_CONFIG) private readonly config: FireiotConfig,
    @Optional() @Inject(AUTH_OPTIONS) options: AuthOptions | null = null,
  ) {
    this.now = options?.now ?? Date.now;
    this.cacheTtlMs = options?.cacheTtlMs ?? 30_000;
    this.cacheMax = options?.cacheMax ?? 10_000;
    this.throttle = new LoginThrottle(config.auth.loginMaxFailures, config.auth.loginWindowMs);
  }

  /**
   * Checks the password and opens a session. An unknown user costs the same scrypt derivation
   * as a wrong password (against a dummy hash) and gives the same error, so neither the answer
   * nor its timing tells which usernames exist.
   *
   * `from` is the client's address: after `auth.loginMaxFailures` failed attempts for a username
   * from one address within `auth.loginWindowMs`, further attempts are refused unheard
   * (`too-many-attempts`), known username or not. An attempt counts as failed until it succeeds,
   * so a burst of parallel guesses is bounded too.
   */
  async login(username: string, password: string, from = ''): Promise<LoginResult> {
    const key = `${from}\u0000${username.toLowerCase()}`;
    const now = this.now();
    const retryAfterMs = this.throttle.retryAfterMs(key, now);
    if (retryAfterMs > 0) {
      this.logger.warn({ msg: 'login refused: too many failed attempts', username: username.slice(0, 64), from });
      throw new IdentityError(
        'too-many-attempts',
        `too many failed logins for this username from this address; try again in ${Math.ceil(retryAfterMs / 1000)} s`,
        { retryAfterMs },
      );
    }
    this.throttle.failed(key, now);
    const user = await this.users.findByUsername(username);
    const matches = await verifySecret(password, user?.passwordHash ?? DUMMY_SECRET_HASH);
    if (!user || !matches) {
      this.logger.log({ msg: 'login refused', username: username.slice(0, 64) });
      throw new IdentityError('invalid-credentials', 'unknown username or wrong password');
    }
    this.throttle.succeeded(key);
    const accessToken = randomBytes(32).toString('base64url');
    const expiresAt = new Date(this.now() + this.config.auth.tokenTtlMs);
    await this.sessions.insert(tokenHash(accessToken), user.id, expiresAt);
    const principal: Principal = { userId: user.id, username: user.username, role: user.role, unitId: user.unitId };
    this.logger.log({ msg: 'login', userId: user.id, role: user.role });
    return { accessToken, expiresAt, principal };
  }

  /** The principal a bearer token stands for; `token-invalid` or `token-expired` otherwise. */
  async verify(token: string): Promise<Principal> {
    if (!TOKEN_PATTERN.test(token)) throw new IdentityError('token-invalid', 'malformed bearer token');
    const hash = tokenHash(token);
    const key = hash.toString('hex');
    const now = this.now();
    const cached = this.cache.get(key);
    if (cached && now - cached.checkedAtMs < this.cacheTtlMs) {
      if (now >= cached.expiresAtMs) {
        this.cache.delete(key);
        throw new IdentityError('token-expired', 'the bearer token has expired; log in again');
      }
      return cached.principal;
    }
    this.cache.delete(key);
    const session = await this.sessions.findByTokenHash(hash);
    if (!session) throw new IdentityError('token-invalid', 'unknown or revoked bearer token');
    if (now >= session.expiresAt.getTime()) {
      await this.sessions.delete(hash);
      throw new IdentityError('token-expired', 'the bearer token has expired; log in again');
    }
    this.remember(key, { principal: session.principal, expiresAtMs: session.expiresAt.getTime(), checkedAtMs: now });
    return session.principal;
  }

  /** Ends a session (this instance forgets it at once; others within the cache time). */
  async logout(token: string): Promise<void> {
    if (!TOKEN_PATTERN.test(token)) return;
    const hash = tokenHash(token);
    this.cache.delete(hash.toString('hex'));
    await this.sessions.delete(hash);
  }

  /** Deletes expired sessions (they are refused anyway; this keeps the table small). */
  async purgeExpiredSessions(): Promise<number> {
    return this.sessions.deleteExpired(new Date(this.now()));
  }

  /** Creates an account (password hashed with scrypt); returns its id. */
  async createUser(account: NewAccount): Promise<string> {
    if (!USERNAME_PATTERN.test(account.username)) {
      throw new IdentityError('invalid-input', 'a username has 1 to 64 characters, no whitespace or colon');
    }
    if (account.password.length < PASSWORD_MIN || account.password.length > PASSWORD_MAX) {
      throw new IdentityError('invalid-input', `a password has ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
    }
    if ((account.role === 'unit') !== (account.unitId !== null)) {
      throw new IdentityError('invalid-input', 'unit users belong to exactly one unit; operators and auditors to none');
    }
    const passwordHash = await hashSecret(account.password);
    const id = await this.users.insert({
      username: account.username,
      passwordHash,
      role: account.role,
      unitId: account.unitId,
    });
    this.logger.log({ msg: 'user created', userId: id, role: account.role, unitId: account.unitId });
    return id;
  }

  /**
   * FIREIOT_BOOTSTRAP_ADMIN (contract, "Configuration"): creates that operator at start-up if no
   * operator exists yet, so a fresh installation can be provisioned. Never touches an existing one.
   */
  async ensureBootstrapAdmin(): Promise<BootstrapOutcome> {
    const admin = this.config.bootstrapAdmin;
    if (admin === null) return 'not-configured';
    if (await this.users.operatorExists()) return 'operator-exists';
    try {
      await this.createUser({ username: admin.username, password: admin.password, role: 'operator', unitId: null });
    } catch (error) {
      // Another instance starting at the same moment created it first.
      if (error instanceof IdentityError && error.code === 'username-taken' && (await this.users.operatorExists())) {
        return 'operator-exists';
      }
      throw error;
    }
    this.logger.log({ msg: 'bootstrap operator created (FIREIOT_BOOTSTRAP_ADMIN)', username: admin.username });
    return 'created';
  }

  private remember(key: string, entry: CachedToken): void {
    while (this.cache.size >= this.cacheMax) {
      const oldest = this.cache.keys().next();
      if (oldest.done === true) break;
      this.cache.delete(oldest.value);
    }
    this.cache.set(key, entry);
  }
}

function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
