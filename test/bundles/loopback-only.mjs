// Preloaded (node --import) into every bundle run: the process may connect to loopback addresses only, and may
// resolve no host name but localhost. A refused attempt fails that connection and is appended to NETWORK_LOG, so
// the test sees it even if the code under test swallows the error.
import dns from 'node:dns';
import { appendFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

const log = process.env.NETWORK_LOG;

function refuse(what) {
  if (log) appendFileSync(log, `${what}\n`);
  return Object.assign(new Error(`loopback-only: refused ${what}`), { code: 'ECONNREFUSED' });
}

function isLoopback(host) {
  if (host === 'localhost') return true;
  const address = host.startsWith('::ffff:') ? host.slice('::ffff:'.length) : host;
  if (net.isIPv4(address)) return address.startsWith('127.');
  return address === '::1';
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const options = typeof first === 'object' && first !== null ? first : { port: first, host: args[1] };
  if (options.path === undefined) {
    const host = options.host ?? 'localhost';
    // A name is resolved by the lookup below (refused unless localhost); an address must be loopback.
    if (net.isIP(host) && !isLoopback(host)) {
      const error = refuse(`connect ${host}:${options.port}`);
      process.nextTick(() => this.destroy(error));
      return this;
    }
  }
  return connect.apply(this, args);
};

const lookup = dns.lookup;
dns.lookup = function guardedLookup(hostname, options, callback) {
  const cb = typeof options === 'function' ? options : callback;
  if (hostname !== 'localhost' && !(net.isIP(hostname) && isLoopback(hostname))) {
    const error = refuse(`lookup ${hostname}`);
    process.nextTick(() => cb(error));
    return {};
  }
  return lookup.call(this, hostname, options, callback);
};
const promisesLookup = dns.promises.lookup;
dns.promises.lookup = async function guardedPromisesLookup(hostname, options) {
  if (hostname !== 'localhost' && !(net.isIP(hostname) && isLoopback(hostname))) {
    throw refuse(`lookup ${hostname}`);
  }
  return promisesLookup.call(this, hostname, options);
};
syncBuiltinESMExports();
