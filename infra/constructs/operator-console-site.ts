import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  type IResponseHeadersPolicy,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { type IUserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import type { ConsoleConfig } from '../../functions/contract';
import { wildcardResourceFinding } from './nag-findings';
import { consoleClientOptions, styleSignIn } from './operator-directory';

export interface OperatorConsoleSiteProps {
  /** The built console (`npm run console:build` writes console/dist): index.html and assets/. */
  readonly distDir: string;
  /** The user pool the console signs in to; the site adds its own app client, whose URLs are the site's. */
  readonly userPool: IUserPool;
  /** The Cognito managed sign-in domain's base URL, e.g. https://prefix.auth.cn-north-1.amazoncognito.com. */
  readonly cognitoDomain: string;
  /** Further sign-in and sign-out URLs of the site's client (a custom domain in front of the distribution). */
  readonly extraCallbackUrls?: readonly string[];
  readonly extraLogoutUrls?: readonly string[];
}

/** What `npm run synth` builds first; named in the error when the bundle is missing. */
const BUILD_COMMAND = 'npm run console:build';

/**
 * Fails the synth, naming the build, when the console has not been built: a site deployed without its bundle would
 * answer every request with 403 and nobody would see why.
 */
function requireBuilt(distDir: string): void {
  const missing = ['index.html', 'assets'].filter((f) => !existsSync(join(distDir, f)));
  if (missing.length > 0)
    throw new Error(
      `the operator console is not built: ${missing.map((f) => join(distDir, f)).join(' and ')} missing. ` +
        `Run "${BUILD_COMMAND}" first (npm run synth does), or give -c consoleDistDir=<a built console>.`,
    );
}

/**
 * Hosts of the HTTP API the console may call. The API's exact host cannot be named here: the API's CORS names this
 * distribution, so the distribution's header policy naming the API would make a CloudFormation cycle. The wildcard
 * is limited to API Gateway's own domain in the stack's region; the API itself only answers the console's origin.
 */
const apiHosts = () => `https://*.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`;

/** The findings CDK's bucket deployment brings, each with why it stays. */
const DEPLOYMENT_FINDINGS: readonly { id: string; reason: string }[] = [
  ...['s3:GetBucket*', 's3:GetObject*', 's3:List*'].map((action) => ({
    id: `AwsSolutions-IAM5[Action::${action}]`,
    reason:
      "CDK's bucket deployment grants itself read on the staged asset bucket and read-write on the console bucket " +
      'with these action groups; it is limited to those two buckets.',
  })),
  ...['s3:Abort*', 's3:DeleteObject*'].map((action) => ({
    id: `AwsSolutions-IAM5[Action::${action}]`,
    reason:
      'The deployment replaces the console bundle: it deletes files a new build no longer has (prune) and aborts ' +
      'its own failed uploads, in the console bucket only.',
  })),
  {
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
    reason:
      "The bundle's zip files are staged by cdk deploy in the bootstrap asset bucket under content-hashed names " +
      'not known before synthesis; read-only, that bucket only.',
  },
];

/** Acknowledges the bucket deployment's findings on the resources they concern. */
function acknowledgeDeployment(role: Role, bucket: IBucket): void {
  const bucketObjects = wildcardResourceFinding(role, `${bucket.bucketArn}/*`);
  for (const finding of [
    ...DEPLOYMENT_FINDINGS,
    {
      id: bucketObjects,
      reason: 'Every object of the console bucket is the bundle the deployment writes, replaces and prunes.',
    },
  ])
    Validations.of(role).acknowledge(finding);
  // The shared provider function CDK adds to the stack for every bucket deployment.
  const stack = Stack.of(role);
  const provider = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
  // On its function resource: the provider itself sits at the stack's root.
  const resource = provider?.node.defaultChild;
  if (resource)
    Validations.of(resource).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        "CDK's bucket deployment provider: its Python runtime is chosen by aws-cdk-lib and moves with it; the " +
        'function runs only during a deployment.',
    });
}

/**
 * The operator console as a static site: the built bundle in a private S3 bucket (no website hosting, no public
 * access, TLS only), served by CloudFront through origin access control over HTTPS with security headers, and a
 * generated `/config.json` telling the console where the API and the Cognito sign-in are. The site's own Cognito app
 * client has the distribution's URL as its callback and sign-out URL, so no deployment has to be repeated once the
 * distribution's domain is known.
 */
export class OperatorConsoleSite extends Construct {
  public readonly bucket: Bucket;
  public readonly distribution: Distribution;
  public readonly headers: IResponseHeadersPolicy;
  /** The console's public app client (authorization code with PKCE): its id is an audience the API accepts. */
  public readonly client: UserPoolClient;
  /** `https://<distribution domain>` (no slash): the origin the API's CORS allows. */
  public readonly origin: string;
  /** The console's URL, `origin` + `/`: where Cognito returns after sign-in and sign-out. */
  public readonly url: string;
  private readonly distDir: string;
  private readonly cognitoDomain: string;

  constructor(scope: Construct, id: string, props: OperatorConsoleSiteProps) {
    super(scope, id);
    requireBuilt(props.distDir);
    this.distDir = props.distDir;
    this.cognitoDomain = props.cognitoDomain;

    // CloudFront's standard logs need object ACLs on their bucket; S3's server access logs go to the same bucket.
    const logs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(logs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "The console's access-log bucket: the site bucket's and CloudFront's logs land here, and logging the log " +
        'bucket into itself would only log its own log deliveries.',
    });

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 's3/',
      // Rebuilt from the repository on every deployment; the deployment empties it when the stack is deleted.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Pamir Telemetry operator console: security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: this.contentSecurityPolicy(), override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        // The sign-in returns with ?code=… in the address: no request may carry it on in a Referer.
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    const behavior = {
      origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
      // Caching follows each object's Cache-Control: the pages say no-cache, the hashed assets a year.
      cachePolicy: CachePolicy.CACHING_OPTIMIZED,
      responseHeadersPolicy: this.headers,
      compress: true,
    };
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Pamir Telemetry operator console',
      defaultRootObject: 'index.html',
      defaultBehavior: behavior,
      additionalBehaviors: { '/assets/*': behavior },
      httpVersion: HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR4',
      reason:
        "The distribution's default *.cloudfront.net certificate fixes the viewer TLS policy (CloudFront ignores a " +
        'minimum version without a certificate of its own); a custom domain with its certificate and TLSv1.2_2021 is ' +
        'the upgrade (docs/console-cloud.md).',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason:
        'Static files only, and every call they make needs a Cognito sign-in; a geographic restriction would lock ' +
        'out engineers travelling or a supplier abroad without protecting any data.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR2',
      reason:
        'Static files only (no server code behind CloudFront); the API it calls is throttled and authenticated. A ' +
        'web ACL would cost more each month than the whole console.',
    });

    this.origin = `https://${this.distribution.distributionDomainName}`;
    this.url = `${this.origin}/`;
    this.client = new UserPoolClient(this, 'Client', {
      userPool: props.userPool,
      ...consoleClientOptions({
        callbackUrls: [this.url, ...(props.extraCallbackUrls ?? [])],
        logoutUrls: [this.url, ...(props.extraLogoutUrls ?? [])],
      }),
    });
    styleSignIn(this, 'SignInStyle', props.userPool, this.client);
  }

  /** The console's CSP: its own files, the API and the Cognito token endpoint; no frames, plugins or other origins. */
  private contentSecurityPolicy(): string {
    return [
      "default-src 'self'",
      "script-src 'self'",
      // Charts and components set inline styles; no script can come in that way.
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      `connect-src 'self' ${apiHosts()} ${this.cognitoDomain}`,
      "object-src 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; ');
  }

  /**
   * Uploads the bundle and its `config.json` (the API's base URL, no trailing slash). Hashed assets are cached for a
   * year and kept across deployments (a page loaded before one still finds its scripts); the pages and the config are
   * revalidated on every load, so a deployment shows at the next reload without invalidating CloudFront.
   */
  publish(apiUrl: string): void {
    const config: ConsoleConfig = {
      auth: 'cognito',
      apiUrl,
      region: Stack.of(this).region,
      userPoolClientId: this.client.userPoolClientId,
      cognitoDomain: this.cognitoDomain,
      redirectUri: this.url,
      logoutUri: this.url,
    };
    // One role and log group for both deployments (they share the provider function).
    const role = new Role(this, 'DeploymentRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Copies the operator console bundle into its bucket',
    });
    const logGroup = new LogGroup(this, 'DeploymentLogs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    logGroup.grantWrite(role);
    const deploy = (
      id: string,
      props: Omit<ConstructorParameters<typeof BucketDeployment>[2], 'destinationBucket'>,
    ) =>
      new BucketDeployment(this, id, {
        destinationBucket: this.bucket as IBucket,
        role,
        logGroup,
        memoryLimit: 256,
        ...props,
      });
    deploy('Assets', {
      sources: [Source.asset(join(this.distDir, 'assets'))],
      destinationKeyPrefix: 'assets/',
      prune: false,
      cacheControl: [
        CacheControl.setPublic(),
        CacheControl.maxAge(Duration.days(365)),
        CacheControl.immutable(),
      ],
    });
    deploy('Pages', {
      sources: [
        Source.asset(this.distDir, { exclude: ['assets', 'assets/**'] }),
        Source.jsonData('config.json', config),
      ],
      // Pruning leaves the assets alone: they are the other deployment's.
      exclude: ['assets/*'],
      cacheControl: [CacheControl.noCache()],
    });
    acknowledgeDeployment(role, this.bucket);
  }
}
