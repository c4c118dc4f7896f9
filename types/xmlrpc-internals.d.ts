// The xmlrpc package ships no types for its serializer and deserializer modules, which we use directly
// so that XML-RPC bodies travel through the guarded client rather than xmlrpc's own http module.
declare module 'xmlrpc/lib/serializer.js' {
  export function serializeMethodCall(method: string, params?: unknown[], encoding?: string): string;
  export function serializeMethodResponse(result: unknown): string;
  export function serializeFault(fault: unknown): string;
}
declare module 'xmlrpc/lib/deserializer.js' {
  import type { Readable } from 'node:stream';

  class Deserializer {
    constructor(encoding?: string);
    deserializeMethodResponse(stream: Readable, callback: (error: unknown, result: unknown) => void): void;
    deserializeMethodCall(
      stream: Readable,
      callback: (error: unknown, method: string, params: unknown[]) => void,
    ): void;
  }
  export default Deserializer;
}
