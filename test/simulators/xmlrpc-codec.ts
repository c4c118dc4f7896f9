// XML-RPC encoding for the simulators and tests, on top of the xmlrpc package's serializer/deserializer.
// The wire layout differs from Python's (no newlines between tags; strings holding `<` or `&` go out as
// CDATA), which any XML-RPC parser accepts; compare decoded values, never raw XML.
import { PassThrough } from 'node:stream';
import Deserializer from 'xmlrpc/lib/deserializer.js';
import { serializeFault, serializeMethodCall, serializeMethodResponse } from 'xmlrpc/lib/serializer.js';

export type XmlRpcAnswer =
  | { kind: 'result'; value: unknown }
  | { kind: 'fault'; faultCode: number | string; faultString: string };

function streamOf(text: string | Buffer): PassThrough {
  const stream = new PassThrough();
  stream.end(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
  return stream;
}

/** Parses a `<methodCall>`; rejects on malformed XML or a document that is not a method call. */
export function decodeMethodCall(xml: string | Buffer): Promise<{ method: string; params: unknown[] }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    new Deserializer().deserializeMethodCall(streamOf(xml), (error, method, params) => {
      if (settled) return;
      settled = true;
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve({ method, params: params ?? [] });
    });
  });
}

/** Parses a `<methodResponse>` into its result or its fault. */
export function decodeMethodResponse(xml: string | Buffer): Promise<XmlRpcAnswer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    new Deserializer().deserializeMethodResponse(streamOf(xml), (error, result) => {
      if (settled) return;
      settled = true;
      if (error && typeof error === 'object' && 'faultCode' in error) {
        const fault = error as { faultCode: number | string; faultString?: string };
        resolve({ kind: 'fault', faultCode: fault.faultCode, faultString: fault.faultString ?? '' });
      } else if (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      } else {
        resolve({ kind: 'result', value: result });
      }
    });
  });
}

export const encodeResult = (value: unknown): string => serializeMethodResponse(value);

export const encodeFault = (faultCode: number | string, faultString: string): string =>
  serializeFault({ faultCode, faultString });

export const encodeCall = (method: string, params: unknown[]): string => serializeMethodCall(method, params);
