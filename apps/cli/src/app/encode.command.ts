import { encodeFrame } from '@fireiot/gb26875';
import { type CliCommand, inputOf } from './cli.command';
import { CliError } from './cli.error';
import { parseCodecArgs } from './codec-args.option';

/** `fireiot encode <json>`: the decoded JSON shape (or a hand-written subset) → frame hex. */
export const encodeCommand: CliCommand = {
  name: 'encode',
  usage: 'fireiot encode <json | -> [--time-encoding binary|bcd]',
  summary: 'build a GB/T 26875.3 frame from JSON (the shape decode prints) and print its hex',
  async run(args, io) {
    const { positionals, timeEncoding } = parseCodecArgs(args);
    const text = await inputOf(positionals, io, ' ');
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch (e) {
      throw new CliError('invalid-json', `not JSON: ${(e as Error).message}`);
    }
    // encodeFrame validates every field of untrusted input and names the one that is wrong.
    io.out(
      `${encodeFrame(input as Record<string, unknown>, { timeEncoding })
        .toString('hex')
        .toUpperCase()}\n`,
    );
    return 0;
  },
};
