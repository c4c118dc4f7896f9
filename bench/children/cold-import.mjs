// Child process for the cold import measurement: a fresh Node process (no tsx, no loader) that times
// `await import(bundle)` with performance.now() (and its CPU time, which a busy machine disturbs less) and
// prints one JSON line. Every outgoing connection and DNS
// lookup during the import (and shortly after) is counted, so a bundle that calls AWS at import shows up.
import dns from 'node:dns';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

let connections = 0;
let lookups = 0;
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  connections += 1;
  return connect.apply(this, args);
};
const lookup = dns.lookup;
dns.lookup = (...args) => {
  lookups += 1;
  return lookup(...args);
};

const bundle = process.argv[2];
if (!bundle) throw new Error('usage: cold-import.mjs <bundle.mjs>');
const cpu = process.cpuUsage();
const start = performance.now();
const module = await import(pathToFileURL(bundle).href);
const importMs = performance.now() - start;
const used = process.cpuUsage(cpu);
await new Promise((resolve) => setTimeout(resolve, 50));
process.stdout.write(
  `${JSON.stringify({ importMs, importCpuMs: (used.user + used.system) / 1000, hasHandler: typeof module.handler === 'function', connections, lookups })}\n`,
);
process.exit(0);
