import { writeFile } from 'node:fs/promises';
import { complianceHtml } from '../../functions/api/report-html';
import { complianceFixture } from '../../test/helpers/compliance-fixture';
import { htmlToPagePng } from '../report/pdf';
import { runCommand } from './run-command';

/**
 * npm run report:sample: regenerates the docs' page image of the report from the example county's fixture (the same
 * report the renderers' tests use), printed by Chromium as print media at A4 width.
 */
const OUT = 'docs/images/compliance-report-page1.png';

runCommand(async () => {
  const png = await htmlToPagePng(complianceHtml(complianceFixture));
  await writeFile(OUT, png);
  console.error(`wrote ${OUT} (${(png.length / 1024).toFixed(1)} KiB)`);
  return 0;
});
