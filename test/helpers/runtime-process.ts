import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, RuntimeStats } from './runtime-process-main';

export type { RuntimeStats } from './runtime-process-main';

const MAIN = fileURLToPath(new URL('./runtime-process-main.ts', import.meta.url));
const READY_TIMEOUT_MS = 60_000;

export interface RuntimeProcess {
  pid: number;
  mqttPort: number;
  httpPort: number;
  dynamoEndpoint: string;
  apiToken: string;
  devices: number;
  /** Messages an earlier run accepted and this one re-queued at start. */
  recovered: number;
  /** The router's counters and backlog, read from the child. */
  stats(): Promise<RuntimeStats>;
  /** Resolves when the router has nothing queued, waiting for a retry, or in flight. */
  idle(): Promise<void>;
  /** Runs the roll-up job now, as its 15-minute schedule would (a compliance report reads roll-ups). */
  runRollups(): Promise<void>;
  /** Resident set size of the child (VmRSS), bytes; 0 once it has exited. */
  rss(): Promise<number>;
  /** SIGKILL: no shutdown code runs, as when the machine loses the process. */
  kill9(): Promise<void>;
  /** SIGTERM: the clean stop `npm start` does on Ctrl-C. */
  stop(): Promise<void>;
  /** What the child wrote to stderr (its log), for a failure message. */
  log(): string;
}

/**
 * Starts the local runtime in a child process on free ports, with `dataDir` and optionally a fleet file, and waits
 * until it listens. The child is killed if this process exits first.
 */
export async function startRuntimeProcess(options: {
  dataDir: string;
  fleetFile?: string;
  env?: NodeJS.ProcessEnv;
}): Promise<RuntimeProcess> {
  // RUNTIME_NODE_ARGS adds node flags for the child, e.g. `--cpu-prof --cpu-prof-dir=prof` to profile the runtime.
  const nodeArgs = (process.env.RUNTIME_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', MAIN], {
    env: {
      ...process.env,
      ...options.env,
      DATA_DIR: options.dataDir,
      MQTT_PORT: '0',
      HTTP_PORT: '0',
      DYNAMODB_PORT: '0',
      ...(options.fleetFile ? { FLEET_FILE: options.fleetFile } : {}),
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  exited.then(() => process.off('exit', killOnExit));

  const ready = await new Promise<Extract<ChildMessage, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`runtime did not start within ${READY_TIMEOUT_MS} ms:\n${stderr}`));
    }, READY_TIMEOUT_MS);
    child.on('message', (m: ChildMessage) => {
      if (m.type !== 'ready') return;
      clearTimeout(timer);
      resolve(m);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`runtime exited before it was ready (${signal ?? code}):\n${stderr}`));
    });
  });

  let nextId = 1;
  const ask = <T extends ChildMessage['type']>(type: T) =>
    new Promise<Extract<ChildMessage, { type: T }>>((resolve, reject) => {
      const id = nextId++;
      const onMessage = (m: ChildMessage) => {
        if (m.type !== type || !('id' in m) || m.id !== id) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m as Extract<ChildMessage, { type: T }>);
      };
      const onExit = () => {
        child.off('message', onMessage);
        reject(new Error(`runtime exited while asked for ${type}:\n${stderr}`));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ type, id });
    });

  return {
    pid: child.pid as number,
    mqttPort: ready.mqttPort,
    httpPort: ready.httpPort,
    dynamoEndpoint: ready.dynamoEndpoint,
    apiToken: ready.apiToken,
    devices: ready.devices,
    recovered: ready.recovered,
    stats: async () => (await ask('stats')).stats,
    idle: async () => {
      await ask('idle');
    },
    runRollups: async () => {
      await ask('rollups');
    },
    rss: () => vmRss(child.pid as number),
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    log: () => stderr,
  };
}

/** VmRSS of a process from /proc (Linux), bytes; 0 when the process is gone. */
async function vmRss(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}
