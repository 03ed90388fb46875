import { HttpStatus } from '@nestjs/common';
import { fakeHttpHost } from '../http/fake-http-host.test-util';
import { MaintenanceErrorFilter } from './maintenance-error.filter';
import { MaintenanceError, MaintenanceErrorCode } from './maintenance.error';

const EXPECTED: Record<MaintenanceErrorCode, HttpStatus> = {
  'unknown-item': 400,
  'item-not-applicable': 400,
  'invalid-done-at': 400,
  'device-not-found': 404,
  forbidden: 403,
};

describe(MaintenanceErrorFilter.name, () => {
  it('maps every code to its status with { error: { code, message } }', () => {
    for (const [code, status] of Object.entries(EXPECTED) as [MaintenanceErrorCode, HttpStatus][]) {
      const { host, sent } = fakeHttpHost();
      new MaintenanceErrorFilter().catch(new MaintenanceError(code, `because ${code}`), host);
      expect({ code, status: sent.status, body: sent.body }).toEqual({
        code,
        status,
        body: { error: { code, message: `because ${code}` } },
      });
    }
  });
});
