import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The real `bin/fireiot.js`, as `npx fireiot` runs it after `npm ci`: a separate process, real exit codes. */
const BIN = join(__dirname, '..', '..', '..', 'bin', 'fireiot.js');
const run = promisify(execFile);

async function fireiot(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('bin/fireiot.js', () => {
  jest.setTimeout(60_000);

  it('decodes the acceptance frame, exit 0', async () => {
    const r = await fireiot(
      'decode',
      '404001000101203A091A090C790300000000385B0100000030000202010101280A000200020020202020202020202020202020202020202020202020202020202020202000023A091A090C462323',
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ command: { name: 'send-data' }, adu: { type: { code: 2 } } });
  });

  it('exits 1 with the JSON error for an invalid frame, 2 for a bad command line', async () => {
    const invalid = await fireiot('decode', '404002000101091F100E0313FFFF00000000010000000000303033F22323');
    expect(invalid.code).toBe(1);
    expect(JSON.parse(invalid.stdout)).toMatchObject({ error: { code: 'adu-too-long' } });
    const usage = await fireiot('nonsense');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage');
  });
});
