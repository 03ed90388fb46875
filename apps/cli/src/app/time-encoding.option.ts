import type { TimeEncoding } from '@fireiot/gb26875';
import { CliError } from './cli.error';

export function timeEncodingOption(value: string | undefined): TimeEncoding {
  if (value === undefined || value === 'binary') return 'binary';
  if (value === 'bcd') return 'bcd';
  throw new CliError('usage', `--time-encoding must be binary or bcd, not '${value}'`);
}
