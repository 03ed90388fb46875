import { decodeFrame, Gb26875Error, parseHex } from '@fireiot/gb26875';
import { type CliCommand, inputOf } from './cli.command';
import { CliError } from './cli.error';
import { parseCodecArgs } from './codec-args.option';

/** `fireiot decode <hex>`: one GB/T 26875.3 frame → the contract's JSON (exit 0) or `{ error }` (exit 1). */
export const decodeCommand: CliCommand = {
  name: 'decode',
  usage: 'fireiot decode <hex | -> [--time-encoding binary|bcd]',
  summary: 'decode one GB/T 26875.3 frame (hex, spaces allowed) to JSON',
  async run(args, io) {
    const { positionals, timeEncoding } = parseCodecArgs(args);
    const text = await inputOf(positionals, io, '');
    let bytes: Buffer;
    try {
      bytes = parseHex(text);
    } catch (e) {
      throw e instanceof Gb26875Error ? new CliError('invalid-hex', e.message) : e;
    }
    const result = decodeFrame(bytes, { timeEncoding });
    if (!result.ok) {
      io.out(`${JSON.stringify({ error: result.error.toJSON() }, null, 2)}\n`);
      return 1;
    }
    io.out(`${JSON.stringify(result.frame, null, 2)}\n`);
    return 0;
  },
};
