import { createHash } from 'node:crypto';
import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnManagedLoginBranding,
  CfnUserPoolGroup,
  FeaturePlan,
  type IUserPool,
  type IUserPoolClient,
  ManagedLoginVersion,
  Mfa,
  OAuthScope,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolClientOptions,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ROLES, type Role } from '../../functions/core/roles';

/** Where the operator console's sign-in returns to, and the prefix of its Cognito sign-in domain. */
export interface ConsoleSignIn {
  /** Where Cognito may send the browser back with an authorization code. */
  readonly callbackUrls: readonly string[];
  /** Where Cognito may send the browser after sign-out. */
  readonly logoutUrls: readonly string[];
  /** `<prefix>.auth.<region>.amazoncognito.com`; derived from the stack path and account when absent. */
  readonly domainPrefix?: string;
}

/** The console URL a synth without context uses: a console served locally during development. */
const DEFAULT_CONSOLE_URL = 'http://localhost:3000/';

/** What each role group is for, shown in the Cognito console beside the group. */
const GROUP_DESCRIPTIONS: Record<Role, string> = {
  viewer: 'Reads devices, readings, alarms and bins; changes nothing',
  sanitation: 'Sanitation crews: acknowledge and shelve bin alarms',
  operator: 'Water operators (duty desk): acknowledge and shelve water-quality and bin alarms',
  engineer: 'Engineers: also sensor and device alarms, maintenance, quarantine, dead letters',
  admin: 'Administrators: everything, including SMS subscriptions',
};

const isLocalHost = (host: string) => host === 'localhost' || host === '127.0.0.1' || host === '[::1]';

/**
 * Checks a context list of sign-in URLs: Cognito accepts https, and plain http only for a local host; a fragment is
 * refused by Cognito too. The error names the context key and the bad URL.
 */
export function signInUrls(key: string, raw: unknown): string[] {
  if (raw === undefined || raw === null || raw === '') return [DEFAULT_CONSOLE_URL];
  const list = (Array.isArray(raw) ? raw.map(String) : String(raw).split(','))
    .map((u) => u.trim())
    .filter((u) => u !== '');
  if (list.length === 0) return [DEFAULT_CONSOLE_URL];
  for (const value of list) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new Error(
        `context ${key}: ${JSON.stringify(value)} is not a URL (give -c ${key}=https://console.example.cn/)`,
      );
    }
    const ok = url.protocol === 'https:' || (url.protocol === 'http:' && isLocalHost(url.hostname));
    if (!ok)
      throw new Error(
        `context ${key}: ${JSON.stringify(value)} must use https (plain http only for localhost or 127.0.0.1)`,
      );
    if (url.hash !== '')
      throw new Error(`context ${key}: ${JSON.stringify(value)} must not have a #fragment`);
  }
  return list;
}

const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Checks a Cognito domain prefix: lower-case letters, digits and inner hyphens, without the words Cognito reserves. */
function domainPrefix(raw: unknown): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const prefix = String(raw);
  if (!DOMAIN_PREFIX.test(prefix) || /aws|amazon|cognito/.test(prefix))
    throw new Error(
      `context consoleDomainPrefix: ${JSON.stringify(prefix)} must be 1–63 lower-case letters, digits and inner ` +
        'hyphens, without "aws", "amazon" or "cognito"',
    );
  return prefix;
}

/** The console sign-in settings from `-c consoleCallbackUrls=… -c consoleLogoutUrls=… -c consoleDomainPrefix=…`. */
function consoleSignInFromContext(scope: Construct): ConsoleSignIn {
  const context = (key: string) => scope.node.tryGetContext(key) as unknown;
  return {
    callbackUrls: signInUrls('consoleCallbackUrls', context('consoleCallbackUrls')),
    logoutUrls: signInUrls('consoleLogoutUrls', context('consoleLogoutUrls')),
    domainPrefix: domainPrefix(context('consoleDomainPrefix')),
  };
}

/**
 * The settings of a console's app client. A browser console is a public client: no secret it could not keep, no
 * implicit grant (tokens in the URL), only the authorization code grant, which the console redeems with a PKCE
 * verifier. SRP stays for scripted sign-in (it never sends the password); it still needs the TOTP code.
 */
export function consoleClientOptions(signIn: Omit<ConsoleSignIn, 'domainPrefix'>): UserPoolClientOptions {
  return {
    generateSecret: false,
    authFlows: { userSrp: true },
    preventUserExistenceErrors: true,
    supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
    oAuth: {
      flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
      scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
      callbackUrls: [...signIn.callbackUrls],
      logoutUrls: [...signIn.logoutUrls],
    },
  };
}

/**
 * Managed login shows nothing for a client without a style; Cognito's own look is enough for an operator console.
 */
export function styleSignIn(
  scope: Construct,
  id: string,
  userPool: IUserPool,
  client: IUserPoolClient,
): CfnManagedLoginBranding {
  return new CfnManagedLoginBranding(scope, id, {
    userPoolId: userPool.userPoolId,
    clientId: client.userPoolClientId,
    useCognitoProvidedValues: true,
  });
}

/**
 * The directory of people who use the API (operators, crew leads, the health office): a Cognito user pool whose
 * tokens the API's JWT authorizer accepts. Administrators create the accounts; nobody signs up. Sign-in needs a
 * strong password and a TOTP second factor, and threat protection blocks risky and compromised-credential sign-ins.
 * One group per role (functions/core/roles.ts): the API reads the caller's role from the token's groups.
 */
export class OperatorDirectory extends Construct {
  public readonly userPool: UserPool;
  /** The public client (no secret) of the operator console; its id is the audience of the API's tokens. */
  public readonly consoleClient: UserPoolClient;
  /** The managed sign-in pages the console sends people to (authorization code with PKCE). */
  public readonly domain: UserPoolDomain;
  /** The role groups, by role. */
  public readonly groups: Record<Role, CfnUserPoolGroup>;

  constructor(scope: Construct, id: string, signIn: ConsoleSignIn = consoleSignInFromContext(scope)) {
    super(scope, id);
    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
      },
      mfa: Mfa.REQUIRED,
      // TOTP only: SMS second factors would need an SNS role and SMS spending, and SNS sends no SMS in China regions.
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.consoleClient = this.userPool.addClient('ConsoleClient', consoleClientOptions(signIn));

    // A prefix unique per stack path and account, so a second stage or account does not collide with the first.
    const derived = `pamir-telemetry-${createHash('sha256').update(this.node.path).digest('hex').slice(0, 8)}-${Aws.ACCOUNT_ID}`;
    this.domain = this.userPool.addDomain('SignIn', {
      cognitoDomain: { domainPrefix: signIn.domainPrefix ?? derived },
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    styleSignIn(this, 'SignInStyle', this.userPool, this.consoleClient);

    const entries = ROLES.map((role, rank) => {
      const group = new CfnUserPoolGroup(this, `Group-${role}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: role,
        description: GROUP_DESCRIPTIONS[role],
        // Cognito orders a user's groups by precedence (lowest first); the highest role comes first, as the API ranks.
        precedence: ROLES.length - 1 - rank,
      });
      return [role, group] as const;
    });
    this.groups = Object.fromEntries(entries) as Record<Role, CfnUserPoolGroup>;
  }
}
