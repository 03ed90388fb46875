import { en } from './en.messages';
import { zh } from './zh.messages';

function leaves(tree: object, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of leaves(value as object, path)) out.set(k, v);
  }
  return out;
}

const placeholders = (text: string): string[] => [...text.matchAll(/{{\s*(\w+)\s*}}/g)].map((m) => m[1] ?? '').sort();

describe('UI messages', () => {
  const zhLeaves = leaves(zh);
  const enLeaves = leaves(en);

  it('have the same keys in Chinese and English', () => {
    expect([...zhLeaves.keys()].sort()).toEqual([...enLeaves.keys()].sort());
  });

  it('are never empty and use the same placeholders in both languages', () => {
    for (const [key, text] of zhLeaves) {
      expect({ key, empty: text.trim() === '' }).toEqual({ key, empty: false });
      expect({ key, placeholders: placeholders(text) }).toEqual({
        key,
        placeholders: placeholders(enLeaves.get(key) ?? ''),
      });
    }
  });

  it('name every alert kind and communication state the platform sends', () => {
    for (const kind of ['fire-alarm', 'fault', 'abnormal', 'communication-loss', 'restored'])
      expect(zhLeaves.has(`kind.${kind}`)).toBe(true);
    for (const state of ['online', 'silent', 'lost', 'never-seen']) expect(zhLeaves.has(`comm.${state}`)).toBe(true);
  });
});
