import { HttpStatus } from '@nestjs/common';
import { fakeHttpHost } from '../http/fake-http-host.test-util';
import { AlertsErrorFilter } from './alerts-error.filter';
import { AlertsError, AlertsErrorCode } from './alerts.error';

const EXPECTED: Record<AlertsErrorCode, HttpStatus> = {
  'invalid-request': 400,
  'not-found': 404,
  forbidden: 403,
  'already-confirmed': 409,
  'already-closed': 409,
  'step-already-recorded': 409,
};

describe(AlertsErrorFilter.name, () => {
  it('maps every code to its status with { error: { code, message } }', () => {
    for (const [code, status] of Object.entries(EXPECTED) as [AlertsErrorCode, HttpStatus][]) {
      const { host, sent } = fakeHttpHost();
      new AlertsErrorFilter().catch(new AlertsError(code, `because ${code}`), host);
      expect({ code, status: sent.status, body: sent.body }).toEqual({
        code,
        status,
        body: { error: { code, message: `because ${code}` } },
      });
    }
  });
});
