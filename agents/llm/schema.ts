// Tool input schemas and arguments: zod schemas become the JSON Schema providers expect (zod 4's
// own converter), and tool-call arguments are parsed without throwing, so a model that writes
// broken JSON gets told so instead of ending the run.
import { z } from 'zod';
import type { JsonSchema, ToolSpec } from './types.ts';

export function isZodSchema(value: unknown): value is z.ZodType {
  return value instanceof z.ZodType;
}

/** The JSON Schema of a tool's input, an object schema, without the `$schema` marker. */
export function inputJsonSchema(tool: ToolSpec): JsonSchema {
  const schema = isZodSchema(tool.input)
    ? (z.toJSONSchema(tool.input, { unrepresentable: 'any', io: 'input' }) as JsonSchema)
    : tool.input;
  const { $schema: _ignored, ...rest } = schema;
  return rest.type === undefined ? { type: 'object', ...rest } : rest;
}

/** Parses a tool call's argument text: an object, or why it is not one. */
export function parseToolArguments(raw: string): { input: unknown; malformed?: string } {
  const text = raw.trim() === '' ? '{}' : raw;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { input: undefined, malformed: 'the arguments must be a JSON object' };
    }
    return { input: value };
  } catch (error) {
    return {
      input: undefined,
      malformed: `the arguments are not valid JSON (${(error as Error).message})`,
    };
  }
}
