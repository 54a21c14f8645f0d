import { render } from 'preact';
import type { ConsoleConfig } from '../../functions/contract/console-config';
import { App } from './app';
import './styles.css';

/** Reads `/config.json` (how to sign in, where the API is), then starts the console. */
async function start(): Promise<void> {
  const root = document.getElementById('app') as HTMLElement;
  try {
    // Preloaded by index.html while this script loads; the server marks it no-cache, so it is always current.
    const res = await fetch('./config.json');
    if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
    const config = (await res.json()) as ConsoleConfig;
    render(<App config={config} />, root);
  } catch (err) {
    root.textContent = `The console cannot start: ${(err as Error).message}. / 控制台无法启动。`;
  }
}

void start();
