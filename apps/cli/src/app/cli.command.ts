import type { CliIo } from './cli-io.port';

/** One `fireiot <name> …` command. `run` resolves to the process exit status. */
export interface CliCommand {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** The positional input, or standard input when it is absent or `-`. */
export async function inputOf(positionals: readonly string[], io: CliIo, separator: string): Promise<string> {
  return positionals.length === 0 || (positionals.length === 1 && positionals[0] === '-')
    ? io.readStdin()
    : positionals.join(separator);
}
