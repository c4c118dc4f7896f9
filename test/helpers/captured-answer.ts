import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { OutboundResult } from '../../shared/net/types.ts';
import {
  CAPTURES_DIR,
  type Capture,
  loadCapture,
  type VendorCaptureDir,
} from '../simulators/http-capture.ts';

export type Answer = Extract<OutboundResult, { ok: true }>;

/** A recorded vendor response as the guarded client would hand it to a classifier (body already gunzipped). */
export function capturedAnswer(capture: Capture): Answer {
  return {
    ok: true,
    status: capture.response.status,
    headers: capture.response.headers,
    body: capture.response.text,
    ms: 0,
    remoteAddress: '127.0.0.1',
  };
}

/** Every capture name (without .http) in one vendor folder of the fixtures. */
export function captureNames(dir: VendorCaptureDir): string[] {
  return readdirSync(join(CAPTURES_DIR, dir))
    .filter((f) => f.endsWith('.http'))
    .map((f) => f.slice(0, -'.http'.length))
    .sort();
}

export { loadCapture };
