/** The AWS error name of `err` (the SDK sets `name` to the service's exception type), if it is one. */
export function awsErrorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

/** IoT's answer for a thing, certificate or policy that does not exist. */
export const isNotFound = (err: unknown): boolean => awsErrorName(err) === 'ResourceNotFoundException';

/**
 * What to do about an error that stops the whole run (no credentials, no region, no permission, throttled past the
 * SDK's retries), in one sentence; other errors keep their own message.
 */
export function explainAwsError(err: unknown): string {
  const name = awsErrorName(err);
  const message = err instanceof Error ? err.message : String(err);
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message))
    return `no AWS credentials (${message}): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run aws sso login`;
  if (/Region is missing|Region not accepted/i.test(message))
    return 'no AWS region: set AWS_REGION (or AWS_PROFILE with a region), the region the stacks are deployed in';
  if (name === 'UnauthorizedException' || name === 'AccessDeniedException')
    return `not allowed (${name}: ${message}): the caller needs the iot: actions listed in docs/onboarding.md`;
  if (name === 'ThrottlingException')
    return `throttled by AWS IoT past the SDK's retries (${message}): run again (done devices are skipped), with a lower --concurrency, or ask for a higher quota`;
  return name && name !== 'Error' ? `${name}: ${message}` : message;
}
