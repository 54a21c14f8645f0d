/**
 * What the operator console reads from `/config.json` at start: how to sign in and where the API is. Locally the
 * runtime serves `{ "auth": "token", "apiUrl": "" }` (same origin; the password field takes an API token); in the
 * cloud the CDK app writes the Cognito settings next to the bundle.
 */
export type ConsoleConfig =
  | { auth: 'token'; apiUrl: string }
  | {
      auth: 'cognito';
      /** The HTTP API's base URL, no trailing slash. */
      apiUrl: string;
      region: string;
      userPoolClientId: string;
      /** The Cognito managed sign-in domain, e.g. https://prefix.auth.cn-north-1.amazoncognito.com (no slash). */
      cognitoDomain: string;
      /** Where Cognito returns after sign-in: the console's own origin + `/`. */
      redirectUri: string;
      logoutUri: string;
    };
