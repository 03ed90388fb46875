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
  it('gives a port that can be listened on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
  });
});
