import { HttpStatus } from '@nestjs/common';

/** Errors of the maintenance API (closed set), each with its HTTP status (mapped exhaustively). */
export type MaintenanceErrorCode =
  'unknown-item' | 'item-not-applicable' | 'invalid-done-at' | 'device-not-found' | 'forbidden';

export class MaintenanceError extends Error {
  constructor(
    readonly code: MaintenanceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MaintenanceError';
  }

  get status(): HttpStatus {
    return maintenanceHttpStatus(this.code);
  }
}

export function maintenanceHttpStatus(code: MaintenanceErrorCode): HttpStatus {
  switch (code) {
    case 'unknown-item':
    case 'item-not-applicable':
    case 'invalid-done-at':
      return HttpStatus.BAD_REQUEST;
    // Another unit's device is "not found" to a unit user, like one that does not exist.
    case 'device-not-found':
      return HttpStatus.NOT_FOUND;
    case 'forbidden':
      return HttpStatus.FORBIDDEN;
  }
}
