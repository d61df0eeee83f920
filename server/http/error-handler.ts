import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
} from 'fastify-type-provider-zod';
import { AppError, ERROR_STATUS, type ErrorCode } from '../errors.ts';
import { isConnectionError } from '../db/database.ts';

/** A database restart or failover usually takes a few seconds. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown>; requestId: string };
}

export function sendError(reply: FastifyReply, error: AppError): FastifyReply {
  const body: ErrorBody = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details !== undefined && { details: error.details }),
      requestId: reply.request.id,
    },
  };
  return reply.code(ERROR_STATUS[error.code]).type('application/json').send(body);
}

const FASTIFY_CODES: Partial<Record<string, (e: FastifyError) => AppError>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () =>
    new AppError('invalid_json', 'request body is not valid JSON'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new AppError(
      'invalid_json',
      "request body is empty but content-type is application/json; send '{}' or drop the header",
    ),
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    new AppError('payload_too_large', 'request body is larger than the limit'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (e) =>
    new AppError('unsupported_media_type', `${e.message}; send application/json`),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new AppError('bad_request', 'content-length does not match the body'),
  FST_ERR_BAD_URL: () =>
    new AppError('bad_request', 'the URL holds a malformed percent-encoding (e.g. %E0%A4%A)'),
  FST_ERR_MAX_PARAM_LENGTH: () =>
    new AppError('uri_too_long', 'a path segment of the URL is longer than 256 characters'),
};

function toAppError(error: FastifyError, request: FastifyRequest): AppError | null {
  if (error instanceof AppError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? 'request';
    return new AppError(
      'validation_failed',
      `invalid ${where}: ${error.validation.map((v) => `${v.instancePath || '/'} ${v.message}`).join('; ')}`,
      {
        issues: error.validation.map((v) => ({
          location: where,
          path: v.instancePath || '/',
          message: v.message,
          ...(v.params['issue'] &&
          typeof v.params['issue'] === 'object' &&
          'code' in v.params['issue']
            ? { code: (v.params['issue'] as { code: string }).code }
            : {}),
        })),
      },
    );
  }
  if (isResponseSerializationError(error)) return null;
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (mapped) return mapped(error);
  if (error.statusCode === 429) return new AppError('rate_limited', error.message);
  if (error instanceof SyntaxError && error.statusCode === 400)
    return new AppError('invalid_json', 'request body is not valid JSON');
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    request.log.debug({ err: error }, 'client error');
    return new AppError('bad_request', error.message);
  }
  return null;
}

/**
 * Errors fastify raises before a route is found (a malformed URL, a too-long path segment): the
 * same shape as every other error. Passed as the `frameworkErrors` option.
 */
export function frameworkErrors(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const appError =
    toAppError(error, request) ?? new AppError('internal', `internal error (ref ${request.id})`);
  if (appError.code === 'internal') request.log.error({ err: error }, 'unhandled error');
  void sendError(reply.header('x-request-id', request.id), appError);
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error, request);
    if (appError) return sendError(reply, appError);
    if (isConnectionError(error)) {
      // The database is restarting or unreachable: the same request can succeed shortly.
      request.log.warn({ err: error }, 'database unavailable');
      void reply.header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
      return sendError(
        reply,
        new AppError('unavailable', 'the database is unavailable; retry after a few seconds'),
      );
    }
    // Unexpected: log it whole, tell the client only a reference.
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, new AppError('internal', `internal error (ref ${request.id})`));
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new AppError(
        'not_found',
        `no route ${request.method} ${request.url.split('?')[0] ?? ''}; see /api/v1/docs`,
      ),
    ),
  );
}
