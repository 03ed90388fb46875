import type { Gb26875ErrorCode } from '@fireiot/gb26875';

/** Why a CLI run failed: the codec's own codes, plus what only the CLI meets. */
export type CliErrorCode = Gb26875ErrorCode | 'invalid-hex' | 'invalid-json' | 'usage' | 'database-unavailable';

export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    readonly code: CliErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Exit status per error code (contract: 1 for a frame or value that is not valid, with the JSON
 * error on stdout; 2 for a command line that makes no sense, with usage on stderr).
 */
export function exitCodeFor(code: CliErrorCode): 1 | 2 {
  switch (code) {
    case 'usage':
      return 2;
    case 'invalid-hex':
    case 'invalid-json':
    case 'database-unavailable':
    case 'frame-too-short':
    case 'bad-start':
    case 'bad-end':
    case 'bad-checksum':
    case 'length-mismatch':
    case 'adu-too-long':
    case 'unknown-command':
    case 'truncated-object':
    case 'trailing-bytes':
    case 'invalid-value':
      return 1;
  }
}
