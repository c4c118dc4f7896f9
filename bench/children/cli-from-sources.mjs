// Child process for the CLI start-up measurement: the credval command run from its TypeScript sources through
// tsx, as bin/credval.js did before the compiled build (and still does when dist/cli/ is missing or stale).
import { register } from 'tsx/esm/api';

register();
const { runProcess } = await import('../../bin/cli.ts');
await runProcess();
