import './quiet-logs';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../../infra/local/runtime';

/**
 * Starts the local runtime as `npm start` does (example fleet, token generated into the data dir), but on free ports
 * so tests run beside a developer's own `npm start`.
 */
export function startTestRuntime(
  dataDir: string,
  options: Partial<Omit<LocalRuntimeOptions, 'dataDir'>> = {},
): Promise<LocalRuntime> {
  return startLocalRuntime({ dataDir, mqttPort: 0, httpPort: 0, dynamoPort: 0, ...options });
}

/** A small fetch client for the runtime's HTTP API with its bearer token. */
export function apiClient(runtime: Pick<LocalRuntime, 'httpPort' | 'apiToken'>) {
  const base = `http://127.0.0.1:${runtime.httpPort}`;
  return {
    base,
    async get<T = Record<string, unknown>>(path: string, token: string | null = runtime.apiToken) {
      const res = await fetch(`${base}${path}`, {
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
      });
      return { status: res.status, body: (await res.json()) as T };
    },
  };
}
