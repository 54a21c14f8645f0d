import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { UserPool } from 'aws-cdk-lib/aws-cognito';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleConfig } from '../../functions/contract';
import { OperatorConsoleSite } from '../../infra/constructs/operator-console-site';
import { addTelemetryStacks } from '../../infra/stacks/telemetry-app';
import { CONSOLE_DIST_FIXTURE, flatten, testApp } from './support';

const COGNITO = 'https://county-water.auth.cn-north-1.amazoncognito.com';
const outdirs: string[] = [];
const freshOutdir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'pamir-console-site-'));
  outdirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

type Resource = { Type: string; Properties: Record<string, unknown> };

/** The one resource of a type (fails when there is not exactly one). */
function only(template: Template, type: string): Resource {
  const found = Object.values(template.findResources(type)) as Resource[];
  expect(found, type).toHaveLength(1);
  return found[0] as Resource;
}

/**
 * The `config.json` a bucket deployment uploads, as the console will read it: the staged file with its deploy-time
 * markers replaced by the values they stand for (rendered as text by `flatten`).
 */
function deployedConfig(template: Template, outdir: string): Record<string, string> {
  const deployments = Object.values(template.findResources('Custom::CDKBucketDeployment')) as Resource[];
  const withMarkers = deployments.find((d) => Array.isArray(d.Properties.SourceMarkers)) as Resource;
  const keys = withMarkers.Properties.SourceObjectKeys as unknown[];
  const markers = withMarkers.Properties.SourceMarkers as Record<string, unknown>[];
  const index = markers.findIndex((m) => Object.keys(m).length > 0);
  const hash = flatten(keys[index]).replace(/\.zip$/, '');
  const staged = readdirSync(outdir).find((f) => f.includes(hash) && statSync(join(outdir, f)).isDirectory());
  let text = readFileSync(join(outdir, staged as string, 'config.json'), 'utf8');
  for (const [marker, value] of Object.entries(markers[index] as Record<string, unknown>))
    text = text.split(marker).join(flatten(value));
  return JSON.parse(text) as Record<string, string>;
}

describe('OperatorConsoleSite', () => {
  let template: Template;
  let outdir: string;

  beforeAll(() => {
    outdir = freshOutdir();
    const app = testApp({ outdir });
    const stack = new Stack(app, 'Console');
    const userPool = new UserPool(stack, 'Pool');
    const site = new OperatorConsoleSite(stack, 'Console', {
      distDir: CONSOLE_DIST_FIXTURE,
      userPool,
      cognitoDomain: COGNITO,
    });
    site.publish('https://abc123.execute-api.cn-north-1.amazonaws.com.cn');
    app.synth();
    template = Template.fromStack(stack);
  });

  it('keeps the bundle in a private, encrypted, TLS-only bucket without website hosting', () => {
    const buckets = Object.values(template.findResources('AWS::S3::Bucket')) as Resource[];
    expect(buckets).toHaveLength(2);
    for (const bucket of buckets) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.BucketEncryption).toBeDefined();
      expect(bucket.Properties.WebsiteConfiguration).toBeUndefined();
    }
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')) as Resource[];
    const statements = policies.flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    );
    // TLS only on both buckets; nobody but CloudFront (through this distribution) reads the site's objects.
    expect(
      statements.filter(
        (s) => s.Effect === 'Deny' && JSON.stringify(s.Condition).includes('"aws:SecureTransport":"false"'),
      ),
    ).toHaveLength(2);
    const reads = statements.filter((s) => s.Effect === 'Allow' && String(s.Action).includes('s3:GetObject'));
    expect(reads).toHaveLength(1);
    expect(reads[0]?.Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
    expect(
      flatten(
        (reads[0]?.Condition as { StringEquals: Record<string, unknown> } | undefined)?.StringEquals[
          'AWS:SourceArn'
        ],
      ),
    ).toMatch(/:distribution\/\$\{ConsoleDistribution[0-9A-F]+\}$/);
  });

  it('serves it through CloudFront with origin access control, HTTPS only, index.html at the root', () => {
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
      }),
    });
    const config = only(template, 'AWS::CloudFront::Distribution').Properties.DistributionConfig as Record<
      string,
      unknown
    >;
    expect(config.DefaultRootObject).toBe('index.html');
    const origins = config.Origins as Record<string, unknown>[];
    expect(origins).toHaveLength(1);
    expect(origins[0]?.OriginAccessControlId).toBeDefined();
    expect(origins[0]?.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
    const behaviors = [
      config.DefaultCacheBehavior,
      ...(config.CacheBehaviors as Record<string, unknown>[]),
    ] as Record<string, unknown>[];
    expect(behaviors.map((b) => b.PathPattern)).toEqual([undefined, '/assets/*']);
    for (const b of behaviors) {
      expect(b.ViewerProtocolPolicy).toBe('https-only');
      expect(b.ResponseHeadersPolicyId).toBeDefined();
    }
    expect(config.Logging).toMatchObject({ Prefix: 'cloudfront/' });
  });

  it('sends security headers: HSTS, a CSP naming the API and the Cognito domain, no framing, nosniff, no referrer', () => {
    const policy = only(template, 'AWS::CloudFront::ResponseHeadersPolicy').Properties
      .ResponseHeadersPolicyConfig as {
      SecurityHeadersConfig: Record<string, Record<string, unknown>>;
    };
    const headers = policy.SecurityHeadersConfig;
    expect(headers.StrictTransportSecurity).toMatchObject({
      AccessControlMaxAgeSec: 31_536_000,
      IncludeSubdomains: true,
      Override: true,
    });
    expect(headers.ContentTypeOptions).toEqual({ Override: true });
    expect(headers.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(headers.ReferrerPolicy).toEqual({ ReferrerPolicy: 'no-referrer', Override: true });
    const csp = flatten(headers.ContentSecurityPolicy?.ContentSecurityPolicy).split('; ');
    expect(csp).toEqual(
      expect.arrayContaining([
        "default-src 'self'",
        "script-src 'self'",
        `connect-src 'self' https://*.execute-api.\${AWS::Region}.\${AWS::URLSuffix} ${COGNITO}`,
        "object-src 'none'",
        "frame-ancestors 'none'",
      ]),
    );
    expect(csp.join('; ')).not.toMatch(/https?:\/\/(?!\*\.execute-api|county-water\.auth)/);
  });

  it('caches hashed assets for a year and revalidates the pages and config.json on every load', () => {
    const deployments = Object.values(template.findResources('Custom::CDKBucketDeployment')) as Resource[];
    const byPrefix = Object.fromEntries(
      deployments.map((d) => [String(d.Properties.DestinationBucketKeyPrefix ?? ''), d.Properties]),
    );
    expect(byPrefix['assets/']).toMatchObject({
      Prune: false,
      SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' },
    });
    expect(byPrefix['']).toMatchObject({
      Prune: true,
      Exclude: ['assets/*'],
      SystemMetadata: { 'cache-control': 'no-cache' },
    });
  });

  it('writes config.json for Cognito sign-in: the API, its own client, the domain, and itself as return URL', () => {
    const config = deployedConfig(template, outdir);
    const siteUrl = config.redirectUri as string;
    expect(siteUrl).toMatch(/^https:\/\/\$\{ConsoleDistribution[0-9A-F]+\.DomainName\}\/$/);
    expect(config).toEqual({
      auth: 'cognito',
      apiUrl: 'https://abc123.execute-api.cn-north-1.amazonaws.com.cn',
      region: ['$', '{AWS::Region}'].join(''),
      userPoolClientId: expect.stringMatching(/^\$\{ConsoleClient[0-9A-F]+\}$/),
      cognitoDomain: COGNITO,
      redirectUri: siteUrl,
      logoutUri: siteUrl,
    } satisfies Record<keyof Extract<ConsoleConfig, { auth: 'cognito' }>, unknown>);
    const client = only(template, 'AWS::Cognito::UserPoolClient').Properties;
    expect(client).toMatchObject({ GenerateSecret: false, AllowedOAuthFlows: ['code'] });
    expect((client.CallbackURLs as unknown[]).map(flatten)).toEqual([siteUrl]);
    expect((client.LogoutURLs as unknown[]).map(flatten)).toEqual([siteUrl]);
  });

  it('refuses to synthesize without a built console, naming the build command', () => {
    const stack = new Stack(new App(), 'Unbuilt');
    expect(
      () =>
        new OperatorConsoleSite(stack, 'Console', {
          distDir: join(tmpdir(), 'pamir-no-console-here'),
          userPool: new UserPool(stack, 'Pool'),
          cognitoDomain: COGNITO,
        }),
    ).toThrow(/not built: .*index\.html.*Run "npm run console:build" first/);
  });
});

describe('the console in the stateless stack', () => {
  function stateless(context: Record<string, string> = {}) {
    const base = testApp();
    const outdir = freshOutdir();
    const app = new App({ context: { ...base.node.getAllContext(), ...context }, outdir });
    const stacks = addTelemetryStacks(app);
    app.synth();
    return { template: Template.fromStack(stacks.stateless), outdir };
  }
  const siteOrigin = /^https:\/\/\$\{ConsoleDistribution[0-9A-F]+\.DomainName\}$/;

  it('allows the console origin alone through CORS, with the headers and methods the console sends', () => {
    const { template } = stateless();
    const cors = only(template, 'AWS::ApiGatewayV2::Api').Properties.CorsConfiguration as Record<
      string,
      unknown
    >;
    const origins = (cors.AllowOrigins as unknown[]).map(flatten);
    expect(origins).toHaveLength(1);
    expect(origins[0]).toMatch(siteOrigin);
    expect(cors).toMatchObject({
      AllowHeaders: ['authorization', 'content-type', 'if-none-match'],
      ExposeHeaders: ['etag'],
      AllowCredentials: false,
    });
    expect([...(cors.AllowMethods as string[])].sort()).toEqual(['DELETE', 'GET', 'PATCH', 'POST']);
  });

  it('adds configured console URLs to the CORS origins and to the site client, beside the distribution', () => {
    const { template, outdir } = stateless({
      consoleCallbackUrls: 'https://console.county.example.cn/, http://localhost:5173/',
      consoleLogoutUrls: 'https://console.county.example.cn/',
    });
    const cors = only(template, 'AWS::ApiGatewayV2::Api').Properties.CorsConfiguration as Record<
      string,
      unknown
    >;
    const origins = (cors.AllowOrigins as unknown[]).map(flatten);
    expect(origins[0]).toMatch(siteOrigin);
    expect(origins.slice(1)).toEqual(['https://console.county.example.cn', 'http://localhost:5173']);

    const client = only(template, 'AWS::Cognito::UserPoolClient').Properties;
    const callbacks = (client.CallbackURLs as unknown[]).map(flatten);
    expect(callbacks[0]).toBe(`${origins[0]}/`);
    expect(callbacks.slice(1)).toEqual(['https://console.county.example.cn/', 'http://localhost:5173/']);
    expect((client.LogoutURLs as unknown[]).map(flatten)).toEqual([
      `${origins[0]}/`,
      'https://console.county.example.cn/',
    ]);

    // The API accepts the directory's client and the site's; the site's config names the API and the site's client.
    const audience = (
      only(template, 'AWS::ApiGatewayV2::Authorizer').Properties.JwtConfiguration as { Audience: unknown[] }
    ).Audience.map(flatten);
    expect(audience).toHaveLength(2);
    const config = deployedConfig(template, outdir);
    expect(audience).toContain(config.userPoolClientId);
    expect(config.apiUrl).toMatch(/^\$\{ApiHttpApi[0-9A-F]+\.ApiEndpoint\}$/);
    expect(config.cognitoDomain).toMatch(
      /^https:\/\/\$\{import:.+\}\.auth\.\$\{AWS::Region\}\.amazoncognito\.com$/,
    );
  });
});
