// Child process: dynalite in memory on a free loopback port, so its CPU is not counted as the bench's.
import { startLocalDynamo } from '../../shared/store/local-dynamo.ts';
import { reportError, reportReady, serveCpuUsage } from '../lib/child.ts';

try {
  const dynamo = await startLocalDynamo();
  // In memory only: nothing to flush, so a stop is an exit (also when the parent goes away).
  process.on('SIGTERM', () => process.exit(0));
  process.on('disconnect', () => process.exit(0));
  serveCpuUsage();
  reportReady({ endpoint: dynamo.endpoint });
} catch (error) {
  reportError(error);
  process.exit(1);
}
