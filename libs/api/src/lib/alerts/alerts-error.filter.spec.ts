import { ArgumentsHost, HttpStatus } from '@nestjs/common';
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
      const sent: { status?: number; body?: unknown } = {};
      const response = {
        status(s: number) {
          sent.status = s;
          return response;
        },
        json(body: unknown) {
          sent.body = body;
          return response;
        },
      };
      const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
      new AlertsErrorFilter().catch(new AlertsError(code, `because ${code}`), host);
      expect({ code, ...sent }).toEqual({ code, status, body: { error: { code, message: `because ${code}` } } });
    }
  });
});
