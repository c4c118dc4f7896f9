// Child process: the vendor simulators of test/simulators, configured by the parent's first message, so that
// their CPU is not counted as credval's. Answers `{ stats: true }` with each simulator's request counts.

import type { SimulatorHandle } from '../../test/simulators/common.ts';
import { type DolibarrConfig, startDolibarrSimulator } from '../../test/simulators/dolibarr.ts';
import { type OdooConfig, startOdooSimulator } from '../../test/simulators/odoo.ts';
import { type PrecoroConfig, startPrecoroSimulator } from '../../test/simulators/precoro.ts';
import { reportError, reportReady, serveCpuUsage } from '../lib/child.ts';

export interface SimulatorsInit {
  dolibarr?: DolibarrConfig;
  odoo?: OdooConfig;
  precoro?: PrecoroConfig;
}

const running: Record<string, SimulatorHandle & { violations?: unknown[] }> = {};

process.once('message', async (init: SimulatorsInit) => {
  try {
    if (init.dolibarr) running.dolibarr = await startDolibarrSimulator(init.dolibarr);
    if (init.odoo) running.odoo = await startOdooSimulator(init.odoo);
    if (init.precoro) running.precoro = await startPrecoroSimulator(init.precoro);
    process.on('message', (message: { stats?: boolean }) => {
      if (!message?.stats) return;
      process.send?.(
        Object.fromEntries(
          Object.entries(running).map(([name, sim]) => [
            name,
            { ...sim.stats, violations: sim.violations?.length ?? 0 },
          ]),
        ),
      );
    });
    serveCpuUsage();
    reportReady(Object.fromEntries(Object.entries(running).map(([name, sim]) => [name, sim.url])));
  } catch (error) {
    reportError(error);
    process.exit(1);
  }
});
process.on('SIGTERM', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
