// The checker that validates every end-to-end answer against the OpenAPI document: it accepts what the document
// says and refuses each kind of drift (status, header, media type, body, problem code), so a passing e2e run means
// something.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Exchange, openApiConformance } from '../helpers/openapi-conformance.ts';

const document = JSON.parse(
  readFileSync(new URL('../../shared/generated/openapi.json', import.meta.url), 'utf8'),
) as {
  paths: Record<
    string,
    Record<
      string,
      {
        responses: Record<
          string,
          { content?: Record<string, { examples?: Record<string, { value: unknown }> }> }
        >;
      }
    >
  >;
};
const storedExample = document.paths['/credentials']?.post?.responses['201']?.content?.['application/json']
  ?.examples?.stored?.value as Record<string, unknown>;
const ID = storedExample.id as string;
const URL_OF = (path: string) => `http://127.0.0.1:3000${path}`;
const CORRELATION = { 'x-correlation-id': 'corr-1', 'x-content-type-options': 'nosniff' };

/** A conforming GET /credentials/{id} answer, with per-case overrides. */
function getAnswer(
  overrides: Partial<Exchange> & { body?: unknown; extraHeaders?: Record<string, string> } = {},
) {
  const { body = storedExample, extraHeaders = {}, ...rest } = overrides;
  return {
    method: 'GET',
    url: URL_OF(`/credentials/${ID}`),
    status: 200,
    headers: new Headers({
      'content-type': 'application/json',
      etag: '"1"',
      ...CORRELATION,
      ...extraHeaders,
    }),
    text: JSON.stringify(body),
    ...rest,
  } satisfies Exchange;
}

function problem(status: number, code: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    type: `https://credval.dev/problems/${code.replaceAll('_', '-')}`,
    title: 'Some title',
    status,
    detail: 'What went wrong.',
    code,
    correlationId: 'corr-1',
    ...extra,
  });
}
const problemHeaders = (extra: Record<string, string> = {}) =>
  new Headers({ 'content-type': 'application/problem+json', ...CORRELATION, ...extra });

describe('OpenAPI conformance checker', () => {
  it('accepts an answer the document describes, and counts what it covered', () => {
    const checker = openApiConformance();
    expect(checker.violations(getAnswer())).toEqual([]);
    expect(
      checker.violations({
        method: 'GET',
        url: URL_OF(`/credentials/${ID}`),
        status: 404,
        headers: problemHeaders(),
        text: problem(404, 'not_found'),
      }),
    ).toEqual([]);
    expect([...checker.covered()]).toEqual(['getCredential 200', 'getCredential 404 not_found']);
    expect(checker.documented()).toContain('createCredential 409 idempotency_in_progress');
    expect(checker.documented()).toContain('deleteCredential 412 precondition_failed');
  });

  it('refuses a status the operation does not document', () => {
    expect(openApiConformance().violations(getAnswer({ status: 418 }))).toEqual([
      `GET /credentials/${ID} -> 418: getCredential does not document status 418`,
    ]);
  });

  it('refuses a missing or malformed documented header, and an undocumented one', () => {
    const checker = openApiConformance();
    const noEtag = getAnswer();
    noEtag.headers.delete('etag');
    expect(checker.violations(noEtag)).toEqual([`GET /credentials/${ID} -> 200: no etag header`]);
    expect(checker.violations(getAnswer({ extraHeaders: { etag: 'W/1' } }))).toEqual([
      expect.stringContaining('header etag: "W/1" (root) must match pattern'),
    ]);
    expect(checker.violations(getAnswer({ extraHeaders: { 'x-debug-secret': 'x' } }))).toEqual([
      `GET /credentials/${ID} -> 200: header x-debug-secret is not documented for this answer`,
    ]);
    expect(checker.violations(getAnswer({ extraHeaders: { location: '/elsewhere' } }))).toEqual([
      `GET /credentials/${ID} -> 200: header location is not documented for this answer`,
    ]);
  });

  it('refuses a body that breaks the schema: a missing field, an extra one, a bad format', () => {
    const checker = openApiConformance();
    const { version: _version, ...noVersion } = storedExample;
    expect(checker.violations(getAnswer({ body: noVersion }))).toEqual([
      expect.stringContaining("must have required property 'version'"),
    ]);
    expect(checker.violations(getAnswer({ body: { ...storedExample, secretName: 'x' } }))).toEqual([
      expect.stringContaining('must NOT have additional properties'),
    ]);
    expect(checker.violations(getAnswer({ body: { ...storedExample, createdAt: 'yesterday' } }))).toEqual([
      expect.stringContaining('/createdAt must match format "date-time"'),
    ]);
  });

  it('refuses an undocumented media type and a body where none is documented', () => {
    const checker = openApiConformance();
    expect(
      checker.violations(
        getAnswer({ headers: new Headers({ 'content-type': 'text/plain', etag: '"1"', ...CORRELATION }) }),
      ),
    ).toEqual([expect.stringContaining('content type "text/plain" is not one of application/json')]);
    expect(
      checker.violations({
        method: 'DELETE',
        url: URL_OF(`/credentials/${ID}`),
        status: 204,
        headers: new Headers(CORRELATION),
        text: '{}',
      }),
    ).toEqual([`DELETE /credentials/${ID} -> 204: a body where the document has none`]);
  });

  it('refuses a problem code or status that the answer does not document', () => {
    const checker = openApiConformance();
    const at404 = (text: string) =>
      checker.violations({
        method: 'GET',
        url: URL_OF(`/credentials/${ID}`),
        status: 404,
        headers: problemHeaders(),
        text,
      });
    expect(at404(problem(404, 'credential_invalid'))).toEqual([
      expect.stringContaining('/code must be equal to one of the allowed values'),
    ]);
    expect(at404(problem(400, 'not_found'))).toEqual([
      expect.stringContaining('/status must be equal to constant'),
    ]);
    expect(
      checker.violations({
        method: 'POST',
        url: URL_OF('/credentials'),
        status: 503,
        headers: problemHeaders({ 'retry-after': 'soon' }),
        text: problem(503, 'storage_unavailable'),
      }),
    ).toEqual([expect.stringContaining('header retry-after: "soon" (root) must be integer')]);
  });

  it('holds the router to its 400, 404 and 405 problems, and leaves the console page alone', () => {
    const checker = openApiConformance();
    const router = (status: number, text: string, path = '/nope', method = 'GET') =>
      checker.violations({ method, url: URL_OF(path), status, headers: problemHeaders(), text });
    expect(router(404, problem(404, 'not_found'))).toEqual([]);
    expect(router(405, problem(405, 'method_not_allowed'), '/health', 'DELETE')).toEqual([]);
    expect(router(400, problem(400, 'invalid_input'), '/credentials/%ZZ/checks', 'PUT')).toEqual([]);
    expect(router(404, problem(404, 'invalid_input'))).toEqual([
      expect.stringContaining('code invalid_input, not not_found'),
    ]);
    expect(router(200, '{}')).toEqual([
      expect.stringContaining('no documented operation, and 200 is no router answer'),
      expect.stringContaining('not a Problem'),
    ]);
    expect(
      checker.violations({
        method: 'GET',
        url: URL_OF('/'),
        status: 200,
        headers: new Headers({ 'content-type': 'text/html' }),
        text: '<!doctype html>',
      }),
    ).toEqual([]);
  });
});
