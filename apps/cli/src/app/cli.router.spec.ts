import { runCli } from './cli.router';
import type { CliIo } from './cli-io.port';

const FM1 =
  '404001000101203A091A090C790300000000385B0100000030000202010101280A000200020020202020202020202020202020202020202020202020202020202020202000023A091A090C462323';

function fakeIo(stdin = ''): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (t: string) => void (io.stdout += t),
    err: (t: string) => void (io.stderr += t),
    readStdin: () => Promise.resolve(stdin),
  };
  return io;
}

describe(runCli.name, () => {
  it('decode prints the contract JSON and exits 0 (the issue’s acceptance frame)', async () => {
    const io = fakeIo();
    expect(await runCli(['decode', FM1], io)).toBe(0);
    const frame = JSON.parse(io.stdout) as {
      command: { name: string };
      adu: { type: { code: number }; objects: Array<{ componentType: { code: number }; state: { flags: string[] } }> };
    };
    expect(frame.command.name).toBe('send-data');
    expect(frame.adu.type.code).toBe(2);
    expect(frame.adu.objects).toHaveLength(1);
    expect(frame.adu.objects[0]?.componentType.code).toBe(40);
    expect(frame.adu.objects[0]?.state.flags).toContain('fire-alarm');
  });

  it('decode accepts hex with spaces, split over several arguments, or from stdin', async () => {
    const spaced = FM1.replace(/(..)/g, '$1 ');
    const a = fakeIo();
    expect(await runCli(['decode', spaced], a)).toBe(0);
    const b = fakeIo();
    expect(await runCli(['decode', ...spaced.trim().split(' ')], b)).toBe(0);
    const c = fakeIo(`${spaced}\n`);
    expect(await runCli(['decode', '-'], c)).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect(c.stdout).toBe(a.stdout);
  });

  it('decode of an invalid frame prints { error: { code, message } } on stdout and exits 1', async () => {
    const io = fakeIo();
    expect(await runCli(['decode', FM1.replace(/46(2323)$/, '47$1')], io)).toBe(1);
    const out = JSON.parse(io.stdout) as { error: { code: string; message: string; hex: string } };
    expect(out.error.code).toBe('bad-checksum');
    expect(out.error.message).toMatch(/checksum/);
    expect(out.error.hex).toBe(FM1.replace(/46(2323)$/, '47$1').toLowerCase());
  });

  it('decode of text that is not hex exits 1 with invalid-hex', async () => {
    const io = fakeIo();
    expect(await runCli(['decode', '40 4g'], io)).toBe(1);
    expect((JSON.parse(io.stdout) as { error: { code: string } }).error.code).toBe('invalid-hex');
  });

  it('encode takes what decode prints and gives back the same frame', async () => {
    const decoded = fakeIo();
    await runCli(['decode', FM1], decoded);
    const io = fakeIo();
    expect(await runCli(['encode', decoded.stdout], io)).toBe(0);
    expect(io.stdout).toBe(`${FM1}\n`);
  });

  it('encode refuses bad JSON and bad values with exit 1 and a JSON error naming the field', async () => {
    const notJson = fakeIo();
    expect(await runCli(['encode', '{serial:'], notJson)).toBe(1);
    expect((JSON.parse(notJson.stdout) as { error: { code: string } }).error.code).toBe('invalid-json');
    const badValue = fakeIo();
    expect(
      await runCli(
        [
          'encode',
          '{"serial":70000,"sentAt":"2024-01-01T00:00:00","source":"1","destination":"2","command":"confirm"}',
        ],
        badValue,
      ),
    ).toBe(1);
    const error = (JSON.parse(badValue.stdout) as { error: { code: string; message: string } }).error;
    expect(error).toEqual({ code: 'invalid-value', message: expect.stringContaining('frame.serial') as string });
  });

  it('usage errors go to stderr with exit 2', async () => {
    const unknown = fakeIo();
    expect(await runCli(['frobnicate'], unknown)).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const badOption = fakeIo();
    expect(await runCli(['decode', '--time-encoding', 'ebcdic', FM1], badOption)).toBe(2);
    expect(badOption.stderr).toContain('--time-encoding');
    expect(badOption.stdout).toBe('');
    const help = fakeIo();
    expect(await runCli(['--help'], help)).toBe(0);
    expect(help.stdout).toContain('fireiot decode');
  });
});
