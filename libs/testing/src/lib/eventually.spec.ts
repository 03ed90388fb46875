import { createServer } from 'node:net';
import { eventually } from './eventually';
import { freePort } from './free-port';

describe(eventually.name, () => {
  it('returns the first value the probe gives that is not undefined or false', async () => {
    let n = 0;
    await expect(eventually(() => (++n >= 3 ? n : false))).resolves.toBe(3);
  });

  it('times out naming what it waited for, with the last error the probe threw', async () => {
    await expect(
      eventually(
        () => {
          throw new Error('not yet');
        },
        'the answer',
        50,
      ),
    ).rejects.toThrow('timed out after 50 ms waiting for the answer: Error: not yet');
  });
});

describe(freePort.name, () => {
  it('gives a port that can be listened on, below the kernel’s ephemeral range (outgoing connections never take it)', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThanOrEqual(20_000);
    expect(port).toBeLessThan(32_768);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
