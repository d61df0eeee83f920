// Only in `weft mcp` over stdio, which runs on the user's machine: the file read here is the
// user's own, by the user's own process. Over HTTP the server's files are not the caller's,
// so this tool is never in the HTTP servers' lists (tools/index.ts keeps it in STDIO_TOOLS).
import { open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { SPEC_MAX_BYTES, SpecSchema } from '../../server/domain/spec.ts';
import { AppError } from '../../server/errors.ts';
import { createSpec } from '../../server/modules/specs/specs.service.ts';

/** Reads a local spec file: a regular file (after symlinks), at most SPEC_MAX_BYTES. */
export async function readLocalSpec(file: string): Promise<{ text: string; name: string }> {
  const name = path.basename(file);
  let handle;
  try {
    handle = await open(await realpath(path.resolve(file)), 'r');
  } catch (error) {
    throw new AppError(
      'validation_failed',
      `cannot open ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}; give the path of a spec file on this machine`,
      { field: 'path' },
    );
  }
  try {
    const info = await handle.stat();
    if (!info.isFile())
      throw new AppError('validation_failed', `${file} is not a regular file`, { field: 'path' });
    if (info.size > SPEC_MAX_BYTES)
      throw new AppError(
        'payload_too_large',
        `${name} is ${info.size} bytes, larger than ${SPEC_MAX_BYTES}`,
        { field: 'path', maxBytes: SPEC_MAX_BYTES },
      );
    // Read at most the limit (+1 to see growth since stat), from the handle that was checked.
    const buffer = Buffer.alloc(Math.min(info.size, SPEC_MAX_BYTES) + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > SPEC_MAX_BYTES)
      throw new AppError('payload_too_large', `${name} is larger than ${SPEC_MAX_BYTES} bytes`);
    return { text: buffer.subarray(0, bytesRead).toString('utf8'), name };
  } finally {
    await handle.close();
  }
}

export const UploadSpecInput = z
  .object({
    path: z.string().min(1).max(4096).describe('Path of the spec file on this machine'),
    name: z.string().min(1).max(200).optional().describe('A label; by default the file name'),
  })
  .strict();

export default defineTool({
  name: 'upload_spec',
  title: 'Upload local spec file',
  description:
    'Reads a spec file on this machine (weft mcp over stdio only) and stores it; returns the specId for import_openapi { specId }. Use instead of pasting a spec into text.',
  input: UploadSpecInput,
  output: SpecSchema.extend({ created: z.boolean() }),
  annotations: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  write: true,
  permission: 'connectors:create',
  handler: async (input, ctx) => {
    const local = await readLocalSpec(input.path);
    const { spec, created } = await createSpec({
      db: ctx.db,
      tenant: ctx.tenant,
      text: local.text,
      name: input.name ?? local.name,
    });
    return { ...spec, created };
  },
  summarize: (o) => `spec ${o.specId} (${o.sizeBytes} bytes)${o.created ? '' : ', already stored'}`,
});

/**
 * Relay mode of `weft mcp` (WEFT_URL set): the file is read here, on the user's machine, and
 * handed to the remote Weft's create_spec; the remote never sees a path.
 */
export async function relayUploadSpec({
  args,
  createSpecUpstream,
}: {
  args: unknown;
  createSpecUpstream: (input: Record<string, unknown>) => Promise<unknown>;
}): Promise<unknown> {
  // The write fields pass through to create_spec, which honours them.
  const parsed = UploadSpecInput.extend({
    dryRun: z.boolean().optional(),
    idempotencyKey: z.string().min(1).max(200).optional(),
  })
    .strict()
    .safeParse(args ?? {});
  if (!parsed.success)
    return {
      isError: true,
      content: [{ type: 'text', text: `validation_failed: ${parsed.error.issues[0]?.message}` }],
    };
  try {
    const { path: file, name, ...write } = parsed.data;
    const local = await readLocalSpec(file);
    return await createSpecUpstream({ ...write, text: local.text, name: name ?? local.name });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { isError: true, content: [{ type: 'text', text: `${error.code}: ${error.message}` }] };
  }
}
