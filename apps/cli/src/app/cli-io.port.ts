/** The process's streams, injected so commands are testable without spawning. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** The whole of standard input as text. */
  readStdin(): Promise<string>;
  /** Environment variables (FIREIOT_*); absent in tests that need none. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export const processIo: CliIo = {
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};
