#!/usr/bin/env -S npx tsx
import { main } from '../cli';

const controller = new AbortController();
let interrupts = 0;
const stop = (signal: NodeJS.Signals) => {
  interrupts++;
  if (interrupts > 1) process.exit(130);
  process.stderr.write(
    `\npamir-sim: ${signal}: stopping, draining acknowledgements (again to quit at once)\n`,
  );
  controller.abort();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
}).then((code) => {
  process.exitCode = code;
  // Sockets the broker is slow to close must not keep a finished run alive.
  setTimeout(() => process.exit(code), 500).unref();
});
