import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import { IdentityError, IdentityErrorCode } from '@fireiot/identity';
import { apiErrorBody, ApiResponse } from './http.model';

/** The HTTP status of each identity failure (exhaustive: a new code must be given one here). */
export function httpStatusOf(code: IdentityErrorCode): HttpStatus {
  switch (code) {
    case 'invalid-input':
      return HttpStatus.BAD_REQUEST;
    case 'invalid-credentials':
    case 'token-missing':
    case 'token-invalid':
    case 'token-expired':
      return HttpStatus.UNAUTHORIZED;
    case 'forbidden':
      return HttpStatus.FORBIDDEN;
    case 'too-many-attempts':
      return HttpStatus.TOO_MANY_REQUESTS;
    // A unit user asking for another unit's records learns nothing: "not found", not "forbidden".
    case 'unit-not-found':
    case 'device-not-found':
      return HttpStatus.NOT_FOUND;
    case 'username-taken':
    case 'device-exists':
      return HttpStatus.CONFLICT;
  }
}

/** The same answer as the filter gives, as an exception (for guards, which run outside it). */
export function toHttpException(error: IdentityError): HttpException {
  return new HttpException(apiErrorBody(error.code, error.message), httpStatusOf(error.code), { cause: error });
}

/** `IdentityError` → its status and `{ error: { code, message } }`. */
@Catch(IdentityError)
export class IdentityErrorFilter implements ExceptionFilter<IdentityError> {
  catch(error: IdentityError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<ApiResponse>();
    if (error.code === 'token-missing' || error.code === 'token-invalid' || error.code === 'token-expired') {
      response.setHeader('WWW-Authenticate', bearerChallenge(error));
    }
    if (error.retryAfterMs !== null) response.setHeader('Retry-After', String(Math.ceil(error.retryAfterMs / 1000)));
    response.status(httpStatusOf(error.code)).json(apiErrorBody(error.code, error.message));
  }
}

/** RFC 6750 §3: the challenge of a 401 to a bearer-token request. */
export function bearerChallenge(error: IdentityError): string {
  return error.code === 'token-missing' ? 'Bearer realm="fireiot"' : 'Bearer realm="fireiot", error="invalid_token"';
}
