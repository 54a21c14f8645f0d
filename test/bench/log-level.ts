/** Imported first by run.ts: function logs at ERROR during the bench (see test/helpers/quiet-logs.ts). */
process.env.POWERTOOLS_LOG_LEVEL ??= process.env.LOG_LEVEL ?? 'ERROR';
