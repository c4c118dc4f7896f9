// Preloaded (`node --require`) into each process the CLI start-up measurement runs: at exit, writes the
// process's own CPU time (user + system, in microseconds) to file descriptor 3, which the parent reads.
// Wall time suffers from other load on the machine; CPU time much less.
const { writeSync } = require('node:fs');

process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  writeSync(3, `${user + system}\n`);
});
