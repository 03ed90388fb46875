import { HttpStatus } from '@nestjs/common';
import { IdentityError, IdentityErrorCode } from '@fireiot/identity';
import { fakeHttpHost } from './fake-http-host.test-util';
import { httpStatusOf, IdentityErrorFilter, toHttpException } from './identity-error.filter';

const EXPECTED: Record<IdentityErrorCode, HttpStatus> = {
  'invalid-input': 400,
  'invalid-credentials': 401,
  'token-missing': 401,
  'token-invalid': 401,
  'token-expired': 401,
  forbidden: 403,
  'too-many-attempts': 429,
  'unit-not-found': 404,
  'device-not-found': 404,
  'username-taken': 409,
  'device-exists': 409,
};

describe(IdentityErrorFilter.name, () => {
  it('maps every code to its status with { error: { code, message } }', () => {
    for (const [code, status] of Object.entries(EXPECTED) as [IdentityErrorCode, HttpStatus][]) {
      const { host, sent } = fakeHttpHost();
      new IdentityErrorFilter().catch(new IdentityError(code, `because ${code}`), host);
      expect({ code, status: sent.status, body: sent.body }).toEqual({
        code,
        status,
        body: { error: { code, message: `because ${code}` } },
      });
      expect(httpStatusOf(code)).toBe(status);
      expect(toHttpException(new IdentityError(code, 'm')).getStatus()).toBe(status);
    }
  });

  it('adds the Bearer challenge to token failures only', () => {
    const expired = fakeHttpHost();
    new IdentityErrorFilter().catch(new IdentityError('token-expired', 'old'), expired.host);
    expect(expired.sent.headers['WWW-Authenticate']).toBe('Bearer realm="fireiot", error="invalid_token"');
    const login = fakeHttpHost();
    new IdentityErrorFilter().catch(new IdentityError('invalid-credentials', 'no'), login.host);
    expect(login.sent.headers).toEqual({});
  });

  it('says when to try again on a refused login (Retry-After, whole seconds rounded up)', () => {
    const { host, sent } = fakeHttpHost();
    new IdentityErrorFilter().catch(new IdentityError('too-many-attempts', 'wait', { retryAfterMs: 90_001 }), host);
    expect(sent.status).toBe(429);
    expect(sent.headers).toEqual({ 'Retry-After': '91' });
  });
});
