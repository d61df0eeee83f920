import type { ToolContext } from '../define-tool.ts';

/** This server's public base URL, as start_oauth derives it. */
export function publicBase(ctx: Pick<ToolContext, 'config'>): string {
  return (ctx.config.publicUrl ?? `http://${ctx.config.host}:${ctx.config.port}`).replace(
    /\/$/,
    '',
  );
}
