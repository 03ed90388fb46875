import { ArgumentsHost, HttpStatus } from '@nestjs/common';
import { DutyErrorFilter } from './duty-error.filter';
import { DutyError, DutyErrorCode } from './duty.error';

const EXPECTED: Record<DutyErrorCode, HttpStatus> = {
  'invalid-request': 400,
  'already-on-duty': 409,
  'not-on-duty': 409,
};

describe(DutyErrorFilter.name, () => {
  it('maps every code to its status with { error: { code, message } }', () => {
    for (const [code, status] of Object.entries(EXPECTED) as [DutyErrorCode, HttpStatus][]) {
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
        setHeader: () => response,
      };
      const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
      new DutyErrorFilter().catch(new DutyError(code, `because ${code}`), host);
      expect({ code, ...sent }).toEqual({ code, status, body: { error: { code, message: `because ${code}` } } });
    }
  });
});
