// dynalite on a worker thread (see startLocalDynamo's `offThread`). Plain JavaScript so that the worker starts the
// same way under tsx, vitest and node, without a TypeScript loader of its own.
import { once } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';

const { path, port } = workerData;
const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(port, '127.0.0.1');
await once(server, 'listening');
parentPort.postMessage({ type: 'listening', port: server.address().port });

parentPort.on('message', (message) => {
  if (message?.type !== 'stop') return;
  // Closing the server also closes the LevelDB database, which releases its LOCK for the next start.
  server.close((err) => {
    parentPort.postMessage({ type: 'stopped', error: err ? String(err.stack ?? err) : undefined });
    parentPort.close();
  });
});
