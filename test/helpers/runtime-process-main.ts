/**
 * The local runtime as `npm start` runs it (infra/local/main.ts: same startLocalRuntime, same environment
 * variables), in a child process that the bench and the crash test can measure and kill -9. It reports over the IPC
 * channel: `ready` with its ports once it listens, and the router's counters whenever asked; it runs the roll-up
 * job when asked, as its schedule would.
 */
import type { RouterStats } from '../../infra/local/router';

process.env.POWERTOOLS_LOG_LEVEL ??= process.env.LOG_LEVEL ?? 'SILENT';

/** The router's counters plus its backlog: what it accepted and has not yet delivered or dead-lettered. */
export type RuntimeStats = RouterStats & { backlog: number };

export type ChildMessage =
  | {
      type: 'ready';
      mqttPort: number;
      httpPort: number;
      dynamoEndpoint: string;
      apiToken: string;
      devices: number;
      recovered: number;
    }
  | { type: 'stats'; id: number; stats: RuntimeStats }
  | { type: 'idle'; id: number }
  | { type: 'rollups'; id: number };

const send = (m: ChildMessage) => process.send?.(m);

async function main(): Promise<void> {
  const { startLocalRuntime } = await import('../../infra/local/runtime');
  const port = (name: string) => Number(process.env[name] ?? 0);
  const runtime = await startLocalRuntime({
    dataDir: process.env.DATA_DIR ?? '.data',
    mqttPort: port('MQTT_PORT'),
    httpPort: port('HTTP_PORT'),
    dynamoPort: port('DYNAMODB_PORT'),
    fleetFile: process.env.FLEET_FILE || undefined,
    apiToken: process.env.API_TOKEN || undefined,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.on('message', (m: { type?: string; id?: number }) => {
    const id = m.id ?? 0;
    if (m.type === 'idle') {
      void runtime.router.idle().then(() => send({ type: 'idle', id }));
      return;
    }
    if (m.type === 'rollups') {
      void runtime.runSchedule('rollups').then(() => send({ type: 'rollups', id }));
      return;
    }
    if (m.type !== 'stats') return;
    const s = runtime.router.stats as RouterStats & { backlog?: number };
    // The router counts its backlog itself once it has one; until then it is what it accepted (now or before the
    // last stop) and has not yet finished.
    const backlog =
      typeof s.backlog === 'number'
        ? s.backlog
        : s.received + runtime.recovered - s.delivered - s.deadLettered;
    send({ type: 'stats', id, stats: { ...s, backlog } });
  });
  const stop = async () => {
    await runtime.stop();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // Without a parent there is nobody to report to, or to stop this process.
  process.once('disconnect', stop);
  send({
    type: 'ready',
    mqttPort: runtime.mqttPort,
    httpPort: runtime.httpPort,
    dynamoEndpoint: runtime.dynamoEndpoint,
    apiToken: runtime.apiToken,
    devices: runtime.devices.length,
    recovered: runtime.recovered,
  });
}

main().catch((err: Error) => {
  process.stderr.write(`runtime process failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
