import type { Dispatcher } from 'undici';
import apiRequest from 'undici/lib/api/api-request.js';
import errors from 'undici/lib/core/errors.js';
import Agent from 'undici/lib/dispatcher/agent.js';

// The parts of undici the guarded client uses, imported from their own modules: the package index also pulls in
// every other dispatcher, the mocks, the cache stores and the interceptors (~540 kB bundled, against ~290 kB for
// these), and it is the index that attaches `request()` to every dispatcher's prototype. So `request` is called
// on the agent explicitly here instead. The version is pinned in package.json; test/integration/guarded-client
// runs this module against real servers.

export type { Dispatcher };
export { Agent, errors };

/** `agent.request(options)`, without the package index having patched the prototype. */
export function requestThrough(
  agent: Dispatcher,
  options: Dispatcher.RequestOptions,
): Promise<Dispatcher.ResponseData> {
  return apiRequest.call(agent, options);
}
