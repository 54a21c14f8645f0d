import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../device-sim/cli';
import { parseFleet } from '../../../functions/core/registry';
import { captureIo } from './fixtures';

const DRY = ['--dry-run', '--from', '2025-07-15T00:00:00Z', '--samples', '6', '--seed', '7'];

describe('pamir-sim CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pamir-sim-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prints help and the scenario list with exit code 0', async () => {
    const help = captureIo();
    expect(await main(['--help'], help.io)).toBe(0);
    expect(help.stdout()).toMatch(/^Usage: pamir-sim/);
    const list = captureIo();
    expect(await main(['--list-scenarios'], list.io)).toBe(0);
    for (const name of ['chlorine-loss', 'offline-backfill', 'bin-fire', 'low-battery'])
      expect(list.stdout()).toContain(`  ${name}\n`);
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--fleet', '/no/such/fleet.json'], /cannot read fleet file \/no\/such\/fleet.json: no such file/],
    [['--scenario', 'chlorine-loss@bin-bazaar-01'], /does not apply to bin-bazaar-01/],
    [['--speed', 'fast'], /--speed fast must be a positive number/],
    [['--to', 'now'], /give --from too/],
    [['--speed', '3600', '--duration', '1h'], /more than 23 h ahead of now/],
    [['--endpoint', 'abc-ats.iot.eu-west-1.amazonaws.com'], /needs --cert and --key/],
    [['--basic-ingest'], /use it with --endpoint/],
    [['--dry-run', '--speed', '10'], /a dry run needs an end/],
  ])('rejects %j with exit code 2 and says why', async (argv, message) => {
    const { io, stderr } = captureIo();
    expect(await main(argv, io)).toBe(2);
    expect(stderr()).toMatch(message);
  });

  it('rejects certificate files that are missing or not PEM before connecting anything', async () => {
    const garbage = join(dir, 'garbage.pem');
    await writeFile(garbage, 'not a certificate');
    const missing = captureIo();
    const aws = ['--endpoint', 'abc-ats.iot.eu-west-1.amazonaws.com', '--duration', '1'];
    expect(await main([...aws, '--cert', join(dir, 'none.pem'), '--key', garbage], missing.io)).toBe(2);
    expect(missing.stderr()).toMatch(/--cert .*none.pem: no such file/);
    const bad = captureIo();
    expect(await main([...aws, '--cert', garbage, '--key', garbage], bad.io)).toBe(2);
    expect(bad.stderr()).toMatch(/--cert .*garbage.pem is not a PEM certificate/);
  });

  it('publishes to the Basic Ingest rules of a non-primary stage with --basic-ingest-stage (--dry-run)', async () => {
    const run = captureIo();
    const args = [
      ...DRY,
      '--devices',
      'wq-karasu-intake',
      '--basic-ingest',
      '--basic-ingest-stage',
      'county-b',
    ];
    expect(await main(args, run.io)).toBe(0);
    const topics = new Set(
      run
        .stdout()
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { topic: string }).topic),
    );
    expect([...topics]).toEqual(['$aws/rules/county_b_pamir_telemetry_water/dt/water/wq-karasu-intake']);
  });

  it('prints the same messages for the same seed and others for another seed (--dry-run)', async () => {
    const a = captureIo();
    const b = captureIo();
    const c = captureIo();
    expect(await main([...DRY, '--scenario', 'chlorine-loss,malformed'], a.io)).toBe(0);
    expect(await main([...DRY, '--scenario', 'chlorine-loss,malformed'], b.io)).toBe(0);
    expect(await main([...DRY, '--scenario', 'chlorine-loss,malformed', '--seed', '8'], c.io)).toBe(0);
    const lines = a.stdout().trim().split('\n');
    expect(lines.length).toBeGreaterThan(18 * 6);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      topic: expect.stringMatching(/^dt\/(water|bin)\//),
    });
    expect(b.stdout()).toBe(a.stdout());
    expect(c.stdout()).not.toBe(a.stdout());
  });

  it('writes a machine-readable summary with --json', async () => {
    const run = captureIo();
    expect(
      await main(
        [
          ...DRY,
          '--json',
          '--devices',
          'plant-town,bin-bazaar-01',
          '--scenario',
          'duplicate-delivery@wq-town-outlet+1m',
        ],
        run.io,
      ),
    ).toBe(0);
    const lines = run.stdout().trim().split('\n');
    const summary = JSON.parse(lines.slice(lines.indexOf('{')).join('\n'));
    expect(summary).toMatchObject({
      seed: 7,
      mode: 'live',
      target: 'dry-run',
      devices: 2,
      // 6 samples from each device, and 5 of them sent again.
      samples: 17,
      exitCode: 0,
      instances: [
        { scenario: 'normal', devices: ['wq-town-outlet', 'bin-bazaar-01'] },
        { scenario: 'duplicate-delivery@wq-town-outlet+1m', devices: ['wq-town-outlet'] },
      ],
    });
    // The 5 messages in the window and their 5 copies.
    expect(summary.scenarios.find((s: { name: string }) => s.name === 'duplicate-delivery').sent).toBe(10);
  });

  it('writes a generated fleet the service can load, and exits', async () => {
    const file = join(dir, 'county.json');
    const run = captureIo();
    expect(
      await main(
        ['--water', '12', '--bins', '6', '--townships', '2', '--seed', '3', '--write-fleet', file],
        run.io,
      ),
    ).toBe(0);
    const fleet = parseFleet(JSON.parse(await readFile(file, 'utf8')));
    expect(fleet.devices).toHaveLength(18);
    expect(run.stderr()).toContain(`FLEET_FILE=${file} npm start`);
  });

  it('needs an API token for --expect and says where it looks', async () => {
    const run = captureIo({});
    expect(await main(['--expect', '--data-dir', join(dir, 'no-service'), '--duration', '1'], run.io)).toBe(
      2,
    );
    expect(run.stderr()).toMatch(/--expect needs the API token: pass --token, set API_TOKEN/);
  });
});
