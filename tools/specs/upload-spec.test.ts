import { mkdtemp, mkdir, writeFile, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SPEC_MAX_BYTES } from '../../server/domain/spec.ts';
import { readLocalSpec, relayUploadSpec } from './upload-spec.ts';

describe('reading a local spec for upload_spec', () => {
  it('reads a regular file, through a symlink, with its name', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-spec-'));
    await writeFile(path.join(dir, 'api.yaml'), 'openapi: 3.0.0\n');
    await symlink(path.join(dir, 'api.yaml'), path.join(dir, 'link.yaml'));
    expect(await readLocalSpec(path.join(dir, 'link.yaml'))).toEqual({
      text: 'openapi: 3.0.0\n',
      name: 'link.yaml',
    });
  });

  it('refuses a directory, a missing file and a file over the limit', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-spec-'));
    await mkdir(path.join(dir, 'sub'));
    await expect(readLocalSpec(path.join(dir, 'sub'))).rejects.toThrow('not a regular file');
    await expect(readLocalSpec(path.join(dir, 'nope.yaml'))).rejects.toThrow('ENOENT');
    await writeFile(path.join(dir, 'big.json'), Buffer.alloc(SPEC_MAX_BYTES + 1, 32));
    await expect(readLocalSpec(path.join(dir, 'big.json'))).rejects.toThrow('larger than');
  });

  it('relays the file to create_spec upstream, never the path', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-spec-'));
    await writeFile(path.join(dir, 'api.json'), '{"openapi":"3.0.0"}');
    const sent: Record<string, unknown>[] = [];
    await relayUploadSpec({
      args: { path: path.join(dir, 'api.json'), dryRun: true },
      createSpecUpstream: (input) => {
        sent.push(input);
        return Promise.resolve({ content: [] });
      },
    });
    expect(sent).toEqual([{ dryRun: true, text: '{"openapi":"3.0.0"}', name: 'api.json' }]);
    const refused = (await relayUploadSpec({
      args: { path: dir },
      createSpecUpstream: () => Promise.reject(new Error('not called')),
    })) as { isError: boolean; content: { text: string }[] };
    expect(refused.isError).toBe(true);
    expect(refused.content[0]?.text).toContain('not a regular file');
  });
});
