import { main, type Summary } from '../../device-sim/cli';
import type { LocalRuntime } from '../../infra/local/runtime';
import { captureIo } from '../unit/sim/fixtures';

/** Runs `pamir-sim` against a test runtime (its broker, API, token and outbox) with `--json`, as a user would. */
export async function simAgainst(
  runtime: LocalRuntime,
  dataDir: string,
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; summary: Summary; stderr: string }> {
  const { io, stdout, stderr } = captureIo(env);
  const code = await main(
    [
      '--broker',
      `mqtt://127.0.0.1:${runtime.mqttPort}`,
      '--api',
      `http://127.0.0.1:${runtime.httpPort}`,
      '--token',
      runtime.apiToken,
      '--data-dir',
      dataDir,
      '--json',
      ...args,
    ],
    io,
  );
  return { code, summary: JSON.parse(stdout()) as Summary, stderr: stderr() };
}
