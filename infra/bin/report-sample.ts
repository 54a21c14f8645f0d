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
  // A screenshot does not paginate: stop where the PDF's first page ends, before the first section on a new page.
  const firstPage = complianceHtml(complianceFixture).replace(
    '</head>',
    '<style>.major, .major ~ * { display: none; }</style></head>',
  );
  const png = await htmlToPagePng(firstPage);
  await writeFile(OUT, png);
  console.error(`wrote ${OUT} (${(png.length / 1024).toFixed(1)} KiB)`);
  return 0;
});
