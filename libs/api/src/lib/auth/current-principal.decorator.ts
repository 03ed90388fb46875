import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { Principal } from '@fireiot/identity';
import { ApiRequest } from '../http/http.model';

/** The authenticated caller (`BearerAuthGuard` must guard the route; a bug otherwise, hence a 500). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<ApiRequest>().principal;
  if (principal === undefined) throw new Error('@CurrentPrincipal() on a route without BearerAuthGuard');
  return principal;
});
