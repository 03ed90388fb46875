import { parseArgs } from 'node:util';
import type { TimeEncoding } from '@fireiot/gb26875';
import { CliError } from './cli.error';

export function timeEncodingOption(value: string | undefined): TimeEncoding {
  if (value === undefined || value === 'binary') return 'binary';
  if (value === 'bcd') return 'bcd';
  throw new CliError('usage', `--time-encoding must be binary or bcd, not '${value}'`);
}

/** The arguments of the codec commands (decode, encode): positionals and `--time-encoding`. */
export function parseCodecArgs(args: readonly string[]): { positionals: string[]; timeEncoding: TimeEncoding } {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { 'time-encoding': { type: 'string' } },
    allowPositionals: true,
  });
  return { positionals, timeEncoding: timeEncodingOption(values['time-encoding']) };
}
