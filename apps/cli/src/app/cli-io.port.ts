/** The process's streams, injected so commands are testable without spawning. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** The whole of standard input as text. */
  readStdin(): Promise<string>;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};
