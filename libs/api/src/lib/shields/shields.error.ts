import { HttpStatus } from '@nestjs/common';

export type ShieldsErrorCode = 'invalid-request' | 'not-found' | 'already-lifted';

/** Errors of the shields API, each with its HTTP status (mapped exhaustively). */
export class ShieldsError extends Error {
  constructor(
    readonly code: ShieldsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ShieldsError';
  }

  get status(): HttpStatus {
    switch (this.code) {
      case 'invalid-request':
        return HttpStatus.BAD_REQUEST;
      case 'not-found':
        return HttpStatus.NOT_FOUND;
      case 'already-lifted':
        return HttpStatus.CONFLICT;
    }
  }
}
