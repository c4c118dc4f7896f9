// The capture parser must read every recorded exchange: status lines as index.json lists them, request bodies
// without the separator, gzip bodies decoded.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CAPTURES_DIR, loadCapture, parseCapture, recordedFault } from './http-capture.ts';

const DIRS = ['dolibarr', 'odoo-18.0', 'odoo-19.0'] as const;

describe('parseCapture', () => {
  it.each(DIRS)('parses every %s capture with the status index.json recorded', (dir) => {
    const raw = JSON.parse(readFileSync(`${CAPTURES_DIR}${dir}/index.json`, 'utf8')) as
      | Array<{ name: string; status: string }>
      | { exchanges: Array<{ name: string; status: string }> };
    const index = new Map((Array.isArray(raw) ? raw : raw.exchanges).map((e) => [e.name, e.status]));
    const files = readdirSync(`${CAPTURES_DIR}${dir}`).filter((f) => f.endsWith('.http'));
    expect(files.length).toBeGreaterThan(50);
    for (const file of files) {
      const capture = parseCapture(readFileSync(`${CAPTURES_DIR}${dir}/${file}`));
      const status = index.get(file.replace(/\.http$/, ''));
      expect(`HTTP/1.1 ${capture.response.status} ${capture.response.reason}`, file).toBe(status);
      expect(capture.request.method, file).toMatch(/^(GET|POST|HEAD|OPTIONS)$/);
    }
  });

  it('keeps header values untrimmed and request bodies without the separator', () => {
    expect(loadCapture('dolibarr', 'status-key-surrounded-by-spaces').request.headers.dolapikey).toBe(
      ' <KEY> ',
    );
    expect(loadCapture('dolibarr', 'status-empty-key-header').request.headers.dolapikey).toBe('');
    expect(loadCapture('odoo-19.0', 'json2-context_get-valid-key').request.body).toBe('{}');
    expect(loadCapture('odoo-18.0', 'common-version').request.body).toBe(
      "<?xml version='1.0'?>\n<methodCall>\n<methodName>version</methodName>\n<params>\n</params>\n</methodCall>\n",
    );
  });

  it('gunzips gzip bodies into text and keeps the raw bytes', () => {
    const { response } = loadCapture('dolibarr', 'status-valid-key-accept-encoding-gzip');
    expect(response.body[0]).toBe(0x1f);
    expect(JSON.parse(response.text)).toEqual({
      success: { code: 200, dolibarr_version: '20.0.2', access_locked: '0' },
    });
  });

  it('reads recorded XML-RPC faults', () => {
    expect(recordedFault(loadCapture('odoo-18.0', 'execute-wrong-password'))).toEqual({
      faultCode: 3,
      faultString: 'Access Denied',
    });
    expect(recordedFault(loadCapture('odoo-19.0', 'legacy-xmlrpc-object-nonexistent-model'))).toEqual({
      faultCode: "warning -- UserError\n\nObject no.such.model doesn't exist",
      faultString: '',
    });
  });
});
