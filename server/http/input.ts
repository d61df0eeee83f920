import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { unstorableTextIn } from '../domain/text.ts';
import { AppError } from '../errors.ts';

/**
 * How deeply a JSON request body may nest. Real documents (OpenAPI specs, JSON Schemas, workflow
 * inputs) stay far below it; far deeper ones only exhaust the stack of whatever walks them.
 */
export const MAX_JSON_DEPTH = 128;

/** Throws a 400 when `text` (JSON) nests deeper than MAX_JSON_DEPTH; scans without recursion. */
export function assertJsonDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) {
        throw new AppError(
          'bad_request',
          `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels; send flatter JSON`,
          { maxDepth: MAX_JSON_DEPTH },
        );
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
}

function checkText(request: FastifyRequest): void {
  const schema = request.routeOptions.schema as { body?: z.ZodType } | undefined;
  const parts: [string, unknown, z.ZodType | undefined][] = [
    ['params', request.params, undefined],
    ['querystring', request.query, undefined],
  ];
  // A body without a declared schema is the route's own business (the MCP endpoints check tool
  // arguments against each tool's schema; /hooks/:id stores payloads as data).
  if (schema?.body !== undefined) parts.push(['body', request.body, schema.body]);
  for (const [location, value, partSchema] of parts) {
    const issue = unstorableTextIn(value, partSchema);
    if (issue) {
      throw new AppError('bad_request', `invalid ${location}: ${issue.path} ${issue.message}`, {
        issues: [{ location, path: issue.path, message: issue.message }],
      });
    }
  }
}

/**
 * The one JSON body parser (fastify's, with prototype-poisoning protection, behind a nesting
 * limit), and a check before validation that no typed string of the params, query or body holds
 * what text cannot (NUL, unpaired surrogates), answered with a 400 that names the field.
 */
export function installInputGuards(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    try {
      assertJsonDepth(body as string);
    } catch (error) {
      done(error as AppError, undefined);
      return;
    }
    void parseJson(request, body as string, done);
  });
  app.addHook('preValidation', (request, _reply, done) => {
    try {
      checkText(request);
      done();
    } catch (error) {
      done(error as AppError);
    }
  });
}
