import { HttpStatus } from '@nestjs/common';

/** Errors of the duty API (closed set), each with its HTTP status (mapped exhaustively). */
export type DutyErrorCode =
  /** A malformed body or query, or a handover to someone who cannot take it (with the reason). */
  | 'invalid-request'
  /** `POST /api/duty/start` while the caller's shift is open. */
  | 'already-on-duty'
  /** `POST /api/duty/end` or a handover without an open shift. */
  | 'not-on-duty';

export class DutyError extends Error {
  constructor(
    readonly code: DutyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DutyError';
  }

  get status(): HttpStatus {
    return dutyHttpStatus(this.code);
  }
}

export function dutyHttpStatus(code: DutyErrorCode): HttpStatus {
  switch (code) {
    case 'invalid-request':
      return HttpStatus.BAD_REQUEST;
    case 'already-on-duty':
    case 'not-on-duty':
      return HttpStatus.CONFLICT;
  }
}

/** For `ZodValidationPipe`: a malformed body or query is the module's `invalid-request`. */
export function invalidDutyRequest(reason: string): DutyError {
  return new DutyError('invalid-request', reason);
}
