import { Gb26875Error } from '@fireiot/gb26875';
import type { CliCommand } from './cli.command';
import { CliError, exitCodeFor } from './cli.error';
import type { CliIo } from './cli-io.port';
import { decodeCommand } from './decode.command';
import { encodeCommand } from './encode.command';
import { simulateCommand } from './simulate.command';
import { verifyChainCommand } from './verify-chain.command';

export const COMMANDS: readonly CliCommand[] = [decodeCommand, encodeCommand, simulateCommand, verifyChainCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  return [
    'fireiot — tools for the fireiot platform',
    '',
    'Usage:',
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    '',
    'Input "-" (or none) reads standard input. Exit status: 0 ok, 1 invalid input (JSON error on stdout), 2 usage.',
    '',
  ].join('\n');
}

/** Runs one command line; never throws; resolves to the exit status. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    const error = toCliError(e);
    if (exitCodeFor(error.code) === 2) {
      io.err(`${error.message}\n\nUsage: ${command.usage}\n`);
      return 2;
    }
    io.out(`${JSON.stringify({ error: { code: error.code, message: error.message } }, null, 2)}\n`);
    return exitCodeFor(error.code);
  }
}

function toCliError(e: unknown): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof Gb26875Error) return new CliError(e.code, e.message);
  // node:util parseArgs reports unknown options and the like with a code of this prefix.
  if (e instanceof Error && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))
    return new CliError('usage', e.message);
  throw e;
}
