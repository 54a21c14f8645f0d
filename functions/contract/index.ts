/**
 * The contract between devices, functions and deployments, with no AWS or CDK import: `functions/`, `infra/` (CDK
 * and local) and `device-sim/` all read it, so none of them imports another for it.
 */
export * from './console-config';
export * from './device';
export * from './environment';
export * from './health-log-events';
export * from './ingest-queue';
export * from './metrics';
export * from './permissions';
export * from './routes';
export * from './tables';
export * from './telemetry-rules';
export * from './topics';
