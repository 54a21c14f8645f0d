import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { complianceCsv } from '../../../functions/api/report-csv';
import { complianceHtml } from '../../../functions/api/report-html';
import { runReport } from '../../../infra/report/report-command';
import { complianceFixture as fixture } from '../../helpers/compliance-fixture';
import { pdfPages } from '../../helpers/pdf-text';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir';

const TOKEN = 'report-test-token-0123456789';

/**
 * Stands in for `GET /reports/compliance` (helper B's route) until the merge: bearer token checked, the JSON report
 * served, and what each request asked recorded. `answer` overrides the reply for the error paths.
 */
interface FakeApi {
  url: string;
  requests: { path: string; auth?: string }[];
  answer?: { status: number; body: string };
  server: Server;
}

async function startApi(): Promise<FakeApi> {
  const api: FakeApi = { url: '', requests: [], server: createServer() };
  api.server.on('request', (req: IncomingMessage, res) => {
    api.requests.push({ path: req.url ?? '', auth: req.headers.authorization });
    const reply = (status: number, body: string) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    if (api.answer) return reply(api.answer.status, api.answer.body);
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return reply(401, '{"message":"Unauthorized"}');
    if (!req.url?.startsWith('/reports/compliance')) return reply(404, '{"message":"no such route"}');
    reply(200, JSON.stringify(fixture));
  });
  api.server.listen(0, '127.0.0.1');
  await once(api.server, 'listening');
  api.url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  return api;
}

describe('npm run report against an HTTP API', () => {
  let api: FakeApi;
  let dir: string;
  let tokenFile: string;
  let progress: string[];

  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runReport(args, { env: { DATA_DIR: join(dir, 'data'), ...env }, progress: (l) => progress.push(l) });
  const withToken = (args: string[]) => run([...args, '--api', api.url, '--token-file', tokenFile]);

  beforeAll(async () => {
    api = await startApi();
    dir = await makeTempDir('pamir-report-');
    tokenFile = join(dir, 'token');
    await writeFile(tokenFile, `${TOKEN}\n`);
  });
  afterAll(async () => {
    api.server.close();
    await removeTempDir(dir);
  });
  beforeEach(() => {
    api.requests = [];
    api.answer = undefined;
    progress = [];
  });

  it('.json: fetches with the token and the filters as query parameters, writes the report as it came', async () => {
    const out = join(dir, 'r.json');
    await expect(
      withToken(['--month', '2026-11', '--township', 'Dabudar', '--site', 'plant-dabudar', '--out', out]),
    ).resolves.toBe(0);
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(fixture);
    expect(api.requests).toEqual([
      {
        path: '/reports/compliance?month=2026-11&township=Dabudar&siteId=plant-dabudar',
        auth: `Bearer ${TOKEN}`,
      },
    ]);
    expect(progress.at(-1)).toMatch(/^wrote .*r\.json \(\d+\.\d KiB\)$/);
  });

  it('.csv: the chosen table as the renderer writes it; --from/--to go through as given', async () => {
    const out = join(dir, 'events.csv');
    await withToken([
      '--from',
      '2026-11-01T00:00+08:00',
      '--to',
      '2026-12-01T00:00+08:00',
      '--table',
      'exceedances',
      '--out',
      out,
    ]);
    expect(await readFile(out, 'utf8')).toBe(complianceCsv(fixture, 'exceedances'));
    expect(api.requests.map((r) => r.path)).toEqual([
      `/reports/compliance?from=${encodeURIComponent('2026-11-01T00:00+08:00')}&to=${encodeURIComponent('2026-12-01T00:00+08:00')}`,
    ]);
  });

  it('.html: the printable document in the chosen language', async () => {
    const out = join(dir, 'r.html');
    await withToken(['--month', '2026-11', '--lang', 'en', '--out', out]);
    expect(await readFile(out, 'utf8')).toBe(complianceHtml(fixture, { lang: 'en' }));
  });

  it('.pdf: printed by Chromium, with the headings and numbers in its text', async () => {
    const out = join(dir, 'r.pdf');
    await withToken(['--month', '2026-11', '--out', out]);
    const text = (await pdfPages(await readFile(out))).join('').replace(/\s+/g, '');
    expect(text).toContain('饮用水水质合规报告');
    expect(text).toContain('Drinking-watercompliancereport');
    expect(text).toContain('99.92%');
    expect(progress.some((l) => l.startsWith('printing the PDF in Chromium'))).toBe(true);
  }, 60_000);

  it('finds the token in $PAMIR_API_TOKEN, else in $DATA_DIR/api-token as npm start keeps it', async () => {
    const out = join(dir, 'env.json');
    await run(['--api', api.url, '--out', out], { PAMIR_API_TOKEN: TOKEN });
    const dataDir = join(dir, 'kept');
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, 'api-token'), `${TOKEN}\n`);
    await run(['--api', api.url, '--out', out], { DATA_DIR: dataDir });
    expect(api.requests.map((r) => r.auth)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
    await expect(run(['--api', api.url, '--out', out])).rejects.toThrow(
      /no API token: give --token-file FILE or set PAMIR_API_TOKEN/,
    );
  });

  it('401 names where the token came from, and leaves an existing file as it was', async () => {
    const out = join(dir, 'kept.json');
    await writeFile(out, 'previous report');
    const badToken = join(dir, 'bad-token');
    await writeFile(badToken, 'wrong-token-0123456789');
    await expect(run(['--api', api.url, '--token-file', badToken, '--out', out])).rejects.toThrow(
      `401 from ${api.url}/reports/compliance: the token from ${badToken} was refused (Unauthorized)`,
    );
    expect(await readFile(out, 'utf8')).toBe('previous report');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it.each([
    [403, 'GET /reports/compliance needs the role viewer, … or admin; you are nobody'],
    [400, 'month must be YYYY-MM'],
    [404, 'no site plant-x'],
  ])('%i passes the API message through', async (status, message) => {
    api.answer = { status, body: JSON.stringify({ message }) };
    await expect(withToken(['--out', join(dir, 'x.json')])).rejects.toThrow(`${status} from ${api.url}`);
    await expect(withToken(['--out', join(dir, 'x.json')])).rejects.toThrow(message);
  });

  it('says so when the API answers with something that is not a report', async () => {
    api.answer = { status: 200, body: '{"items":[]}' };
    await expect(withToken(['--out', join(dir, 'x.json')])).rejects.toThrow(/not with a compliance report/);
    api.answer = { status: 200, body: '<html>proxy login</html>' };
    await expect(withToken(['--out', join(dir, 'x.json')])).rejects.toThrow(/not with JSON/);
  });

  it('says when the API cannot be reached', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await expect(
      run(['--api', `http://127.0.0.1:${port}`, '--token-file', tokenFile, '--out', join(dir, 'x.json')]),
    ).rejects.toThrow(
      `cannot reach the API at http://127.0.0.1:${port} (ECONNREFUSED): is npm start running?`,
    );
  });

  it.each([
    [[], /--out FILE is required/],
    [['--out', 'r.docx'], /extension must be \.pdf, \.html, \.csv or \.json/],
    [['--out', 'r.csv'], /a \.csv file holds one table: --table sites\|metrics\|exceedances/],
    [['--out', 'r.csv', '--table', 'nope'], /not "nope"/],
    [['--out', 'r.pdf', '--table', 'sites'], /--table is for \.csv output only/],
    [['--out', 'r.pdf', '--lang', 'fr'], /--lang must be zh, en or both/],
    [['--out', 'r.pdf', '--month', '2026-13'], /--month must be YYYY-MM/],
    [['--out', 'r.pdf', '--month', '2026-11', '--from', '2026-11-01'], /either --month or --from\/--to/],
    [['extra', '--out', 'r.pdf'], /unexpected argument "extra"/],
  ])('refuses %j before calling the API', async (args, message) => {
    await expect(withToken(args)).rejects.toThrow(message);
    expect(api.requests).toEqual([]);
  });

  it('as a command: progress on stderr, exit 0; an error is one line and exit 1', async () => {
    const exec = promisify(execFile);
    const out = join(dir, 'cmd.csv');
    const ok = await exec(
      process.execPath,
      [
        '--import',
        'tsx',
        'infra/bin/report.ts',
        '--api',
        api.url,
        '--token-file',
        tokenFile,
        '--table',
        'sites',
        '--out',
        out,
      ],
      { env: { ...process.env, DATA_DIR: join(dir, 'data') } },
    );
    expect(ok.stdout).toBe('');
    expect(ok.stderr).toContain(`fetching the compliance report from ${api.url}`);
    expect(await readFile(out, 'utf8')).toBe(complianceCsv(fixture, 'sites'));
    const failed = await exec(
      process.execPath,
      ['--import', 'tsx', 'infra/bin/report.ts', '--out', 'r.txt'],
      {
        env: { ...process.env, DATA_DIR: join(dir, 'data') },
      },
    ).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^error: --out r\.txt: the extension/m),
    });
  }, 30_000);
});
