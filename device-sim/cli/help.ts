import { SCENARIO_SYNTAX, SCENARIOS } from '../scenarios';
import { formatDuration } from '../time';
import { type EnvSetting, OPTIONS, type OptionSpec, SECTIONS } from './options';

const INTRO = `Usage: pamir-sim [options]        (npm run sim -- [options])

Simulates a county's water-quality and waste-bin sensors over MQTT: one connection per device
(client id = device id, QoS 1), realistic seeded signals, faults and events, against the local
service (npm start) or AWS IoT Core.`;

const OUTRO = `Exit codes: 0 done, 1 expectation mismatch or unacknowledged messages, 2 bad option, fleet file or
certificate, 3 broker unreachable or refusing the devices.

Examples
  npm run sim -- --speed 60 --duration 5m --scenario chlorine-loss@wq-town-outlet+10m --expect
  npm run sim -- --from now-6h --to now --scenario offline-backfill,duplicate-delivery --expect
  npm run sim -- --from now-8h --to now --devices market-town,village-dabudar \\
      --scenario bin-steady-fill@bin-bazaar-01,bin-collection-round@village-dabudar --expect
  npm run sim -- --water 1500 --bins 500 --townships 12 --write-fleet .data/big-fleet.json
`;

const WIDTH = 104;
const INDENT = 24;

/** `name` padded to the description column, the description wrapped under it. */
function entry(name: string, text: string): string {
  const lines: string[] = [];
  let line = `  ${name}`.padEnd(INDENT - 1);
  for (const word of text.split(' ')) {
    if (line.length + 1 + word.length > WIDTH && line.trim() !== name) {
      lines.push(line);
      line = ' '.repeat(INDENT - 1);
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines.join('\n');
}

function optionEntry(name: string, o: OptionSpec): string {
  const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.arg ? ` ${o.arg}` : ''}`;
  return entry(flag, `${o.help}${o.fallback ? ` (default ${o.fallback})` : ''}`);
}

/** The help: every option of {@link OPTIONS} under its section, then every environment variable they read. */
export function helpText(): string {
  const options: [string, OptionSpec][] = Object.entries(OPTIONS);
  const sections = SECTIONS.map((section) =>
    [section, ...options.filter(([, o]) => o.section === section).map(([n, o]) => optionEntry(n, o))].join(
      '\n',
    ),
  );
  const settings: EnvSetting[] = options.flatMap(([, o]) => o.env ?? []);
  const environment = [
    'Settings (environment variables)',
    ...settings.map((s) => entry(s.name, s.help)),
  ].join('\n');
  return `${[INTRO, ...sections, environment, OUTRO].join('\n\n')}`;
}

/** `--list-scenarios`: each scenario, where it applies, its parameters and what the service should do. */
export function scenarioList(): string {
  const lines = ['Scenarios (combine with commas; each runs at its own devices and time):', ''];
  for (const s of SCENARIOS) {
    const start =
      s.defaultStartMs === undefined ? `${s.defaultStartSamples} samples` : formatDuration(s.defaultStartMs);
    const window = `from +${start}${s.defaultDurationSamples === undefined ? ' to the end' : ` for ${s.defaultDurationSamples}`}`;
    lines.push(`  ${s.name}`);
    lines.push(`      ${s.description}`);
    lines.push(
      `      applies to: ${s.appliesTo.text}; default target: ${s.defaultTarget === 'all' ? 'all of them' : 'the first (most frequent reporter)'}; ${window}`,
    );
    for (const [name, p] of Object.entries(s.params ?? {}))
      lines.push(`      :${name}=${p.default}   ${p.description}`);
    lines.push(`      expect: ${s.expected}`, '');
  }
  lines.push(`Syntax: ${SCENARIO_SYNTAX}`);
  return `${lines.join('\n')}\n`;
}
