import type { ToolContext } from '../define-tool.ts';

/** Where this installation is reached, as the webhook URLs give it (its public or listening URL). */
export function baseUrlOf(ctx: ToolContext): string {
  return ctx.triggers.hookUrl('_').replace(/\/hooks\/_$/, '');
}
