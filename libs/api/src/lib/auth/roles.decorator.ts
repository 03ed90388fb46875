import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { Role } from '@fireiot/identity';
import { BearerAuthGuard, ROLES_KEY } from './bearer-auth.guard';

/**
 * Only these roles may call the handler (or every handler of the controller): 403 `forbidden`
 * for the others. Applies `BearerAuthGuard` itself, so a route carrying `@Roles` is never left
 * unauthenticated by a forgotten `@UseGuards`.
 */
export function Roles(...roles: [Role, ...Role[]]): ClassDecorator & MethodDecorator {
  return applyDecorators(SetMetadata(ROLES_KEY, roles), UseGuards(BearerAuthGuard));
}
