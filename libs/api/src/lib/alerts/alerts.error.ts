import { HttpStatus } from '@nestjs/common';

export type AlertsErrorCode =
  | 'invalid-request'
  | 'not-found'
  | 'forbidden'
  | 'already-confirmed'
  | 'already-closed'
  /** A step the register takes once (`received`) was recorded already (5.4.1 e). */
  | 'step-already-recorded';

/** Errors of the alerts API, each with its HTTP status (mapped exhaustively). */
export class AlertsError extends Error {
  constructor(
    readonly code: AlertsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AlertsError';
  }

  get status(): HttpStatus {
    switch (this.code) {
      case 'invalid-request':
        return HttpStatus.BAD_REQUEST;
      case 'not-found':
        return HttpStatus.NOT_FOUND;
      case 'forbidden':
        return HttpStatus.FORBIDDEN;
      case 'already-confirmed':
      case 'already-closed':
      case 'step-already-recorded':
        return HttpStatus.CONFLICT;
    }
  }
}
