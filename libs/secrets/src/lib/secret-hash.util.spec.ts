import { DEFAULT_SECRET_PARAMS, DUMMY_SECRET_HASH, generateSecret, hashSecret, verifySecret } from './secret-hash.util';

describe(hashSecret.name, () => {
  it('hashes with scrypt into scrypt$N$r$p$salt$hash, salted: the same secret hashes differently', async () => {
    const a = await hashSecret('k3y-of-pump-room-1');
    const b = await hashSecret('k3y-of-pump-room-1');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
    expect(DEFAULT_SECRET_PARAMS).toEqual({ N: 16384, r: 8, p: 1 });
  });

  it('refuses an empty or oversize secret', async () => {
    await expect(hashSecret('')).rejects.toMatchObject({ name: 'SecretError', code: 'invalid-secret' });
    await expect(hashSecret('x'.repeat(1025))).rejects.toMatchObject({ code: 'invalid-secret' });
  });
});

describe(verifySecret.name, () => {
  const params = { N: 1024, r: 8, p: 1 };

  it('accepts the secret (string or bytes) and nothing else', async () => {
    const stored = await hashSecret('k3y-of-tank-7', params);
    expect(stored.startsWith('scrypt$1024$8$1$')).toBe(true);
    await expect(verifySecret('k3y-of-tank-7', stored)).resolves.toBe(true);
    await expect(verifySecret(Buffer.from('k3y-of-tank-7'), stored)).resolves.toBe(true);
    await expect(verifySecret('k3y-of-tank-8', stored)).resolves.toBe(false);
    await expect(verifySecret('', stored)).resolves.toBe(false);
  });

  it('verifies hashes stored by the gateway before the move (format unchanged)', async () => {
    // What the gateway's former hashDeviceSecret('legacy-device-pw', { N: 1024, r: 8, p: 1 }) stored,
    // with the salt 'legacy-salt-1234' (crypto.scryptSync computed it independently).
    const legacy = 'scrypt$1024$8$1$bGVnYWN5LXNhbHQtMTIzNA==$eHtIwzMrIP1R6U/73XQfpSkeLVZtIGN3Z/t6LK07U4Q=';
    await expect(verifySecret('legacy-device-pw', legacy)).resolves.toBe(true);
    await expect(verifySecret('legacy-device-pX', legacy)).resolves.toBe(false);
  });

  it('never matches (and never throws on) a malformed or out-of-bounds stored value', async () => {
    const stored = await hashSecret('s', params);
    const [, , , , salt, hash] = stored.split('$') as [string, string, string, string, string, string];
    for (const bad of [
      '',
      'plain-text-password',
      `bcrypt$1024$8$1$${salt}$${hash}`,
      `scrypt$1000$8$1$${salt}$${hash}`, // N not a power of two
      `scrypt$67108864$8$1$${salt}$${hash}`, // N beyond the memory bound
      `scrypt$1024$8$1$${salt}$AAAA`, // key too short
      `scrypt$1024$8$1$$${hash}`,
    ]) {
      await expect(verifySecret('s', bad)).resolves.toBe(false);
    }
  });

  it('has a dummy hash that is well-formed, costs a full derivation and matches nothing', async () => {
    const started = process.hrtime.bigint();
    await expect(verifySecret('anything', DUMMY_SECRET_HASH)).resolves.toBe(false);
    // A malformed value returns at once; the dummy must not (it stands in for a real hash).
    expect(process.hrtime.bigint() - started).toBeGreaterThan(1_000_000n);
  });
});

describe(generateSecret.name, () => {
  it('gives distinct base64url secrets of the requested entropy', () => {
    const a = generateSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(generateSecret()).not.toBe(a);
    expect(generateSecret(32)).toHaveLength(43);
  });
});
