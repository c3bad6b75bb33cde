import type { z } from 'zod';
import { HttpError } from './errors.js';

/** Parses a request body (or params, query) with a zod schema; a 400 names every bad field. */
export function parseRequest<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) =>
    issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
  );
  throw new HttpError(400, 'invalid_request', problems.join('; '));
}
