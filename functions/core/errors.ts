/** Base class of every error the domain raises on purpose; `status` maps it to an HTTP response. */
export class DomainError extends Error {
  readonly status: number = 500;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The caller sent something we cannot use; the message says what to fix. */
export class ValidationError extends DomainError {
  override readonly status = 400;
}

export class NotFoundError extends DomainError {
  override readonly status = 404;
}

export class ConflictError extends DomainError {
  override readonly status = 409;
}

/** The caller asked too often (e.g. shelving one alarm over and over); the message says when to try again. */
export class TooManyRequestsError extends DomainError {
  override readonly status = 429;
}

/** Configuration missing or malformed at cold start; lists every problem at once. */
export class ConfigError extends DomainError {}

/**
 * Storage refused a write for good (e.g. DynamoDB ValidationException, or the SDK cannot marshal a value): writing
 * the same data again cannot succeed, so the message is quarantined rather than retried. Transient failures
 * (throttling, 5xx, network) are thrown as they are.
 */
export class StorageRejectedError extends DomainError {}

/** The caller has no verified identity (a request that reached the function without the authorizer's claims). */
export class UnauthorizedError extends DomainError {
  override readonly status = 401;
}

/** The caller is known but their role does not allow this; the message names the roles that may. */
export class ForbiddenError extends DomainError {
  override readonly status = 403;
}
