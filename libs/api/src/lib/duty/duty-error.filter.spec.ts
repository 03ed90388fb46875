import { HttpStatus } from '@nestjs/common';
import { fakeHttpHost } from '../http/fake-http-host.test-util';
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
      const { host, sent } = fakeHttpHost();
      new DutyErrorFilter().catch(new DutyError(code, `because ${code}`), host);
      expect({ code, status: sent.status, body: sent.body }).toEqual({
        code,
        status,
        body: { error: { code, message: `because ${code}` } },
      });
    }
  });
});
