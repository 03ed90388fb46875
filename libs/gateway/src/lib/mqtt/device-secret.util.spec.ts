import { DEFAULT_SECRET_PARAMS, hashDeviceSecret, verifyDeviceSecret } from './device-secret.util';

describe(hashDeviceSecret.name, () => {
  it('hashes with scrypt into scrypt$N$r$p$salt$hash, salted: the same secret hashes differently', async () => {
    const a = await hashDeviceSecret('k3y-of-pump-room-1');
    const b = await hashDeviceSecret('k3y-of-pump-room-1');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
    expect(DEFAULT_SECRET_PARAMS).toEqual({ N: 16384, r: 8, p: 1 });
  });

  it('refuses an empty or oversize secret', async () => {
    await expect(hashDeviceSecret('')).rejects.toMatchObject({ code: 'invalid-secret' });
    await expect(hashDeviceSecret('x'.repeat(1025))).rejects.toMatchObject({ code: 'invalid-secret' });
  });
});

describe(verifyDeviceSecret.name, () => {
  const params = { N: 1024, r: 8, p: 1 };

  it('accepts the secret (string or bytes) and nothing else', async () => {
    const stored = await hashDeviceSecret('k3y-of-tank-7', params);
    expect(stored.startsWith('scrypt$1024$8$1$')).toBe(true);
    await expect(verifyDeviceSecret('k3y-of-tank-7', stored)).resolves.toBe(true);
    await expect(verifyDeviceSecret(Buffer.from('k3y-of-tank-7'), stored)).resolves.toBe(true);
    await expect(verifyDeviceSecret('k3y-of-tank-8', stored)).resolves.toBe(false);
    await expect(verifyDeviceSecret('', stored)).resolves.toBe(false);
  });

  it('never matches (and never throws on) a malformed or out-of-bounds stored value', async () => {
    const stored = await hashDeviceSecret('s', params);
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
      await expect(verifyDeviceSecret('s', bad)).resolves.toBe(false);
    }
  });
});
