import { PassThrough } from 'node:stream';
import Deserializer from 'xmlrpc/lib/deserializer.js';
import { serializeMethodCall } from 'xmlrpc/lib/serializer.js';

/** A decoded XML-RPC answer: a value, a fault, or a body that is not an XML-RPC response at all. */
export type XmlRpcResponse =
  | { kind: 'result'; value: unknown }
  | { kind: 'fault'; code: number | string; message: string }
  | { kind: 'malformed' };

/**
 * Encodes a method call with the xmlrpc package's serializer. The body is then sent through the guarded
 * client, never through xmlrpc's own http module, so XML-RPC traffic obeys the same egress rules.
 */
export function encodeXmlRpcCall(method: string, params: unknown[]): string {
  return serializeMethodCall(method, params, 'utf8');
}

/** Decodes a methodResponse body with the xmlrpc package's deserializer. */
export function decodeXmlRpcResponse(body: string): Promise<XmlRpcResponse> {
  if (!/<methodResponse[\s>]/.test(body)) return Promise.resolve({ kind: 'malformed' });
  return new Promise((resolve) => {
    const stream = new PassThrough();
    new Deserializer('utf8').deserializeMethodResponse(stream, (error, value) => {
      if (!error) return resolve({ kind: 'result', value });
      const fault = error as { faultCode?: unknown; faultString?: unknown };
      if (fault && (typeof fault.faultCode === 'number' || typeof fault.faultCode === 'string')) {
        return resolve({
          kind: 'fault',
          code: fault.faultCode,
          message: typeof fault.faultString === 'string' ? fault.faultString : '',
        });
      }
      resolve({ kind: 'malformed' });
    });
    stream.end(body);
  });
}
