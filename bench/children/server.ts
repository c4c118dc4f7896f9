// Child process: the local server exactly as `credval serve` builds it (startLocalServer), on a free port,
// with a fixed bearer token, loopback allowed as a vendor destination and LOG_LEVEL=SILENT: no logs, no access
// log and (below DEBUG, as in `credval serve`) no EMF metrics. Answers `{ cpu: true }` with its CPU time used so far.

import { startLocalServer } from '../../bin/local-server.ts';
import { parseEnvironment } from '../../shared/app/environment.ts';
import { reportError, reportReady, serveCpuUsage } from '../lib/child.ts';

try {
  const dataDir = process.env.BENCH_DATA_DIR;
  const token = process.env.BENCH_TOKEN;
  if (!dataDir || !token) throw new Error('BENCH_DATA_DIR and BENCH_TOKEN must be set');
  const server = await startLocalServer(
    parseEnvironment({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOCAL_API_TOKENS: `${token}:bench`,
      EGRESS_ALLOW: '127.0.0.0/8',
      LOG_LEVEL: 'SILENT',
      SWEEP_INTERVAL: '1d',
    }),
  );
  const stop = () => {
    void server.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 3_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
  serveCpuUsage();
  reportReady({ url: server.url });
} catch (error) {
  reportError(error);
  process.exit(1);
}
