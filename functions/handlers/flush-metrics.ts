import type { MiddlewareObj } from '@middy/core';
import type { ServiceMetrics } from '../ports/metrics';

/**
 * Flushes the service's metrics once per invocation, after the handler or its error, so every invocation's counts
 * are written (as one batch of EMF lines in the cloud) before Lambda freezes the process.
 */
export function flushMetrics(metrics: ServiceMetrics | undefined): MiddlewareObj {
  const flush = async () => metrics?.flush();
  return { after: flush, onError: flush };
}
