import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthService, IdentityError, Role } from '@fireiot/identity';
import { ApiRequest, ApiResponse } from '../http/http.model';
import { bearerChallenge, toHttpException } from '../http/identity-error.filter';

/** Metadata key of `@Roles(...)`. */
export const ROLES_KEY = 'fireiot:roles';

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), or null. */
export function bearerTokenOf(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer +([^\s]+) *$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * Authenticates an HTTP request by its bearer token and puts the `Principal` on it (read it with
 * `@CurrentPrincipal()`); enforces `@Roles(...)` of the handler or its controller. 401 with the
 * reason (`token-missing`, `token-invalid`, `token-expired`) and a `WWW-Authenticate` challenge,
 * or 403 `forbidden`, as `{ error: { code, message } }`.
 *
 * Usable on any module's controllers: it needs `AuthService`, which `IdentityModule` (imported
 * by `ApiModule`) provides globally.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<ApiRequest>();
    try {
      // Already authenticated when both the controller and `@Roles` apply the guard.
      if (request.principal === undefined) {
        const token = bearerTokenOf(request.headers['authorization']);
        if (token === null)
          throw new IdentityError('token-missing', 'send Authorization: Bearer <token> (POST /api/auth/login)');
        request.principal = await this.auth.verify(token);
      }
      const roles = this.reflector.getAllAndOverride<readonly Role[] | undefined>(ROLES_KEY, [
        context.getHandler(),
        context.getClass(),
      ]);
      if (roles !== undefined && !roles.includes(request.principal.role)) {
        throw new IdentityError(
          'forbidden',
          `this needs the role ${roles.join(' or ')}; the account ${request.principal.username} is ${request.principal.role}`,
        );
      }
      return true;
    } catch (error) {
      if (!(error instanceof IdentityError)) throw error;
      if (error.code !== 'forbidden')
        http.getResponse<ApiResponse>().setHeader('WWW-Authenticate', bearerChallenge(error));
      throw toHttpException(error);
    }
  }
}
