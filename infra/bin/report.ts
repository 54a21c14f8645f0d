import { runReport } from '../report/report-command';
import { runCommand } from './run-command';

// npm run report: the compliance report from the API as a PDF, HTML, CSV or JSON file (--help).
runCommand(() =>
  runReport(process.argv.slice(2), { env: process.env, progress: (line) => console.error(line) }),
);
