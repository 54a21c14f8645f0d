import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addTelemetryStacks } from '../../infra/stacks/telemetry-app';
import { testApp } from './support';

/** AWS's CloudFormation linter, where this machine has it (`pip install cfn-lint`). */
const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
const hasCfnLint = cfnLint.status === 0;
if (!hasCfnLint)
  console.warn('cfn-lint is not installed: the CloudFormation lint of the templates is skipped');

describe('the synthesized templates under AWS CloudFormation linter', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'pamir-cfn-lint-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it.skipIf(!hasCfnLint)('have no error in either stage shape (owning the account setup, or not)', () => {
    const app = testApp({ outdir });
    addTelemetryStacks(app, { stage: 'prod', accountSetup: true });
    addTelemetryStacks(app, { stage: 'dev', accountSetup: false, tracing: 'active' });
    app.synth();
    const templates = readdirSync(outdir)
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => join(outdir, f));
    expect(templates).toHaveLength(4);
    // Errors only: warnings (e.g. W3005 on CDK's own role dependencies) do not fail a deployment.
    const result = spawnSync('cfn-lint', ['--format', 'parseable', '--', ...templates], { encoding: 'utf8' });
    const errors = result.stdout.split('\n').filter((line) => /:E\d{4}:/.test(line));
    expect(errors).toEqual([]);
    // 0: clean; 4: warnings only; anything else is an error or a failure of the linter itself.
    expect([0, 4], result.stderr).toContain(result.status);
  });
});
