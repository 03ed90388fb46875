import { ArgumentsHost, HttpStatus } from '@nestjs/common';
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
      new MaintenanceErrorFilter().catch(new MaintenanceError(code, `because ${code}`), host);
      expect({ code, ...sent }).toEqual({ code, status, body: { error: { code, message: `because ${code}` } } });
    }
  });
});
