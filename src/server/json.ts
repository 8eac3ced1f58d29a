import express, { type RequestHandler } from 'express';

/** Deepest nesting of objects and arrays accepted in a JSON body: real payloads stay far below it. */
export const MAX_JSON_DEPTH = 64;

/** A client's JSON nested deeper than allowed (a 400 through the error handler, like body-parser's own errors). */
export class JsonTooDeepError extends Error {
  readonly status = 400;
  readonly type = 'entity.too.deep';
  constructor(readonly maxDepth: number) {
    super(`request body is nested deeper than ${maxDepth} levels`);
    this.name = 'JsonTooDeepError';
  }
}

/**
 * Whether JSON text nests objects/arrays deeper than `max`: one linear pass over the bytes, brackets inside strings
 * ignored, no recursion (so nothing downstream, zod or YAML, ever recurses without bound on a client's JSON).
 */
export function jsonTooDeep(text: Buffer | string, max: number): boolean {
  const buf = typeof text === 'string' ? Buffer.from(text) : text;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Throws JsonTooDeepError for text nested deeper than `max` (bodies the routes read themselves). */
export function checkJsonDepth(text: Buffer | string, max = MAX_JSON_DEPTH): void {
  if (jsonTooDeep(text, max)) throw new JsonTooDeepError(max);
}

/** express.json with a size limit and the nesting limit (checked on the raw bytes before parsing). */
export function jsonBody(limit: number, maxDepth = MAX_JSON_DEPTH): RequestHandler {
  return express.json({ limit, verify: (_req, _res, buf) => checkJsonDepth(buf, maxDepth) });
}
