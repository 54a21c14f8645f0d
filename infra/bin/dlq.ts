import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsDeadLetters } from '../../functions/adapters/sqs-dead-letters';
import { DEAD_LETTER_ENV, INGEST_QUEUE } from '../../functions/contract';
import type {
  DeadLetter,
  DeadLetterPage,
  DeadLetterQueue,
  RedriveResult,
  RedriveSelection,
} from '../../functions/ports/dead-letters';
import { readApiToken } from '../local/api-token';
import { DeadLetterFile, LocalDeadLetterQueue } from '../local/dead-letter-file';
import { routerFiles } from '../local/router';
import { runningRuntime } from '../local/runtime-info';
import { SegmentSpool } from '../local/spool';
import { runCommand } from './run-command';

const HELP = `Usage: npm run dlq -- list [--limit N] [--cursor CURSOR] [--json]
       npm run dlq -- redrive (--all | --id ID [--id ID ...])

Inspects and redrives the ingest dead-letter queue: messages the ingest function failed on
all ${INGEST_QUEUE.maxReceiveCount} of their deliveries. Fix the cause first (ingest's log, GET /quarantine?… reason
dead_lettered), then redrive: the messages are delivered to ingest again as new.

Local (default): the data dir of npm start (--data-dir, else $DATA_DIR, else .data).
  - npm start running on that data dir: goes through its HTTP API (GET /dead-letters,
    POST /dead-letters/redrive) with $API_TOKEN or the token in <data dir>/api-token, so redriven
    messages are ingested at once.
  - npm start not running: reads <data dir>/router/dlq.jsonl itself; redriven messages are moved
    into the spool and ingested at the next npm start.

Cloud: --queue-url URL (or $${DEAD_LETTER_ENV.deadLetterQueueUrl}), the stack output DeadLetterQueueUrl, and
  --ingest-queue-url URL (or $${DEAD_LETTER_ENV.ingestQueueUrl}), the output IngestQueueUrl, with AWS credentials
  from the usual chain. A listing shows at most 100 messages and hides none (SQS has no peek: they are
  received for 30 s and released at once); --all starts an SQS message-move task back to the ingest
  queue; --id sends the chosen messages back and then deletes them from the dead-letter queue.

Options:
  --limit N          messages per page (1-100, default 50)
  --cursor CURSOR    next page of a local listing (printed at the end of a page)
  --json             print the API's JSON instead of a table
  --all              redrive every dead letter
  --id ID            redrive this one (repeatable)
  --data-dir DIR     local data dir
  --queue-url URL    cloud dead-letter queue
  --ingest-queue-url URL   cloud ingest queue (where a redrive sends messages)
  -h, --help

Environment:
  DATA_DIR               local data dir when --data-dir is not given (default .data)
  API_TOKEN              token for the running npm start's API (default: <data dir>/api-token)
  ${DEAD_LETTER_ENV.deadLetterQueueUrl}  cloud dead-letter queue when --queue-url is not given
  ${DEAD_LETTER_ENV.ingestQueueUrl}       cloud ingest queue when --ingest-queue-url is not given
  AWS_PROFILE, AWS_REGION, ...   credentials and region for the cloud (the SDK's usual chain)

Runbook for the dead-letters alarm: docs/operations.md.
`;

/** arn:<partition>:sqs:<region>:<account>:<name> from a standard queue URL. */
function queueArn(url: string): string {
  const m = /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/(\d{12})\/([\w-]+)$/.exec(url);
  if (!m)
    throw new Error(`${url} is not an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)`);
  return `arn:${m[2] ? 'aws-cn' : 'aws'}:sqs:${m[1]}:${m[3]}:${m[4]}`;
}

/** The running runtime's API, as a DeadLetterQueue. */
function apiDeadLetters(port: number, token: string): DeadLetterQueue {
  const call = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    const body = (await res.json()) as T & { message?: string };
    if (!res.ok) throw new Error(`HTTP ${res.status} from the running runtime: ${body.message ?? ''}`);
    return body;
  };
  return {
    list: async (limit, cursor) => {
      const q = new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) });
      const page = await call<{ items: DeadLetter[]; total?: number; nextCursor?: string }>(
        `/dead-letters?${q}`,
      );
      return { items: page.items, total: page.total, cursor: page.nextCursor };
    },
    redrive: (selection: RedriveSelection) =>
      call<RedriveResult>('/dead-letters/redrive', { method: 'POST', body: JSON.stringify(selection) }),
  };
}

async function localDeadLetters(dataDir: string): Promise<{ queue: DeadLetterQueue; where: string }> {
  const running = await runningRuntime(dataDir);
  if (running) {
    const token = (await readApiToken(dataDir, process.env.API_TOKEN))?.token;
    if (!token)
      throw new Error(`npm start is running (pid ${running.pid}) but no API token was found: set API_TOKEN`);
    return {
      queue: apiDeadLetters(running.httpPort, token),
      where: `the running npm start (pid ${running.pid}, http://127.0.0.1:${running.httpPort})`,
    };
  }
  const files = routerFiles(join(dataDir, 'router'));
  return {
    queue: new LocalDeadLetterQueue(new DeadLetterFile(files.dlqFile), async (messages) => {
      const spool = new SegmentSpool({ dir: files.spoolDir });
      await spool.openForAppend();
      for (const m of messages) await spool.add(m);
      await spool.settled();
    }),
    where: `${files.dlqFile} (npm start is not running; redriven messages are ingested at the next start)`,
  };
}

function printPage(page: DeadLetterPage): void {
  for (const d of page.items) {
    const text = Buffer.from(d.payloadBase64, 'base64').toString('utf8').replace(/\s+/g, ' ');
    console.log(
      `${d.id}  ${d.deadLetteredAt}  ${d.receiveCount}×  ${d.topic || '(no topic)'}  ${d.reason ?? ''}\n` +
        `    ${d.payloadBytes} bytes: ${text.length > 120 ? `${text.slice(0, 120)}…` : text}`,
    );
  }
  console.log(
    `${page.items.length} shown${page.total === undefined ? '' : ` of ${page.total}`}` +
      (page.cursor ? `; next page: --cursor ${page.cursor}` : ''),
  );
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      limit: { type: 'string', default: '50' },
      cursor: { type: 'string' },
      json: { type: 'boolean' },
      all: { type: 'boolean' },
      id: { type: 'string', multiple: true },
      'data-dir': { type: 'string' },
      'queue-url': { type: 'string' },
      'ingest-queue-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...extra] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  if (extra.length > 0 || (command !== 'list' && command !== 'redrive')) {
    throw new Error(`unknown command "${positionals.join(' ')}"; use list or redrive (--help)`);
  }

  let queue: DeadLetterQueue;
  let where: string;
  const queueUrl = values['queue-url'] ?? process.env[DEAD_LETTER_ENV.deadLetterQueueUrl];
  if (queueUrl) {
    const ingestUrl = values['ingest-queue-url'] ?? process.env[DEAD_LETTER_ENV.ingestQueueUrl];
    if (!ingestUrl) throw new Error('--queue-url needs --ingest-queue-url (the stack output IngestQueueUrl)');
    queue = new SqsDeadLetters(new SQSClient({}), {
      deadLetterQueueUrl: queueUrl,
      deadLetterQueueArn: queueArn(queueUrl),
      sourceQueueUrl: ingestUrl,
      sourceQueueArn: queueArn(ingestUrl),
    });
    where = queueUrl;
  } else {
    ({ queue, where } = await localDeadLetters(
      resolve(values['data-dir'] ?? (process.env.DATA_DIR || '.data')),
    ));
  }

  if (command === 'list') {
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new Error('--limit must be 1-100');
    const page = await queue.list(limit, values.cursor);
    if (values.json) console.log(JSON.stringify(page, null, 2));
    else {
      console.log(`dead letters in ${where}`);
      printPage(page);
    }
    return 0;
  }
  const ids = values.id ?? [];
  if (values.all === ids.length > 0) throw new Error('redrive needs either --all or one or more --id ID');
  const result = await queue.redrive(values.all ? { all: true } : { ids });
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else
    console.log(
      `${result.moved} moved back to ingest from ${where}` +
        (result.taskHandle ? ` (move task ${result.taskHandle})` : '') +
        (result.notFound.length ? `; not found: ${result.notFound.join(', ')}` : ''),
    );
  return 0;
}

runCommand(main);
