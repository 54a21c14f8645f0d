/**
 * Import first (before anything that loads functions/shared/logger): the Powertools logger reads its level once, at
 * construction, and re-applies it on every warm invocation, so `setLogLevel` cannot quieten it. Tests keep function
 * logs off unless LOG_LEVEL asks for them.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= process.env.LOG_LEVEL ?? 'SILENT';
