import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic as bridgeWrite } from '../../actors/bridge/atomic-file.ts';
import { writeFileAtomic } from '../../actors/ledger/store/fs-util.ts';

const dirs: string[] = [];
async function dir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'troupe-atomic-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('the one atomic file write', () => {
  it('writes and replaces a bridge file, mode 0600, leaving no tmp behind', async () => {
    const d = await dir();
    const p = join(d, 'roster.json');
    await bridgeWrite(p, '{"peers":[]}');
    await bridgeWrite(p, '{"peers":["b"]}');
    expect(await readFile(p, 'utf8')).toBe('{"peers":["b"]}');
    expect((await stat(p)).mode & 0o777).toBe(0o600);
    expect(await readdir(d)).toEqual(['roster.json']);
  });

  it('keeps concurrent bridge writes whole: the file is one of them', async () => {
    const d = await dir();
    const p = join(d, 'identity.json');
    const texts = Array.from({ length: 8 }, (_, i) =>
      JSON.stringify({ n: i, pad: 'x'.repeat(4096) }),
    );
    await Promise.all(texts.map((t) => bridgeWrite(p, t)));
    expect(texts).toContain(await readFile(p, 'utf8'));
    expect(await readdir(d)).toEqual(['identity.json']);
  });

  it('fails without touching the old file and removes its tmp', async () => {
    const d = await dir();
    const p = join(d, 'target');
    await writeFileAtomic(p, 'old');
    // The rename cannot replace a non-empty directory: the write fails after the tmp exists.
    const blocked = join(d, 'blocked');
    await mkdir(join(blocked, 'inside'), { recursive: true });
    await expect(writeFileAtomic(blocked, 'new')).rejects.toThrow();
    await expect(bridgeWrite(join(d, 'no-such-dir', 'f'), 'x')).rejects.toThrow();
    expect(await readFile(p, 'utf8')).toBe('old');
    expect((await readdir(d)).sort()).toEqual(['blocked', 'target']);
  });
});
