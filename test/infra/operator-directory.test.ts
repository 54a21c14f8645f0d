import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../functions/core/roles';
import { OperatorDirectory, signInUrls } from '../../infra/constructs/operator-directory';
import { awsSolutionsFindings, testApp } from './support';

function directoryWith(context: Record<string, string> = {}) {
  const base = testApp();
  const app = new App({ context: { ...base.node.getAllContext(), ...context } });
  const stack = new Stack(app, 'Directory');
  const directory = new OperatorDirectory(stack, 'Operators');
  return { stack, directory, template: Template.fromStack(stack) };
}

describe('OperatorDirectory', () => {
  it('has one Cognito group per role, named as the API reads them, the highest role first', () => {
    const { template } = directoryWith();
    template.resourceCountIs('AWS::Cognito::UserPoolGroup', ROLES.length);
    const groups = Object.values(template.findResources('AWS::Cognito::UserPoolGroup')).map(
      (g) => g.Properties as { GroupName: string; Precedence: number },
    );
    expect(groups.map((g) => g.GroupName).sort()).toEqual([...ROLES].sort());
    const byPrecedence = [...groups].sort((a, b) => a.Precedence - b.Precedence).map((g) => g.GroupName);
    expect(byPrecedence).toEqual([...ROLES].reverse());
  });

  it('gives the console a public client with the authorization code grant only and the OpenID scopes', () => {
    const { template } = directoryWith();
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      SupportedIdentityProviders: ['COGNITO'],
      ExplicitAuthFlows: Match.not(Match.arrayWith(['ALLOW_USER_PASSWORD_AUTH'])),
    });
  });

  it('defaults the callback and logout URLs to a local console when synthesized without context', () => {
    const { template } = directoryWith();
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: ['http://localhost:3000/'],
      LogoutURLs: ['http://localhost:3000/'],
    });
  });

  it('takes callback and logout URLs and the domain prefix from context', () => {
    const { template } = directoryWith({
      consoleCallbackUrls: 'https://console.county.example.cn/callback, http://localhost:5173/',
      consoleLogoutUrls: 'https://console.county.example.cn/',
      consoleDomainPrefix: 'county-water',
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: ['https://console.county.example.cn/callback', 'http://localhost:5173/'],
      LogoutURLs: ['https://console.county.example.cn/'],
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'county-water' });
  });

  it('derives a domain prefix per stack path and account, with the newer managed login and its style', () => {
    const { template } = directoryWith();
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: {
        'Fn::Join': [
          '',
          [Match.stringLikeRegexp('^pamir-telemetry-[0-9a-f]{8}-$'), { Ref: 'AWS::AccountId' }],
        ],
      },
      ManagedLoginVersion: 2,
    });
    template.hasResourceProperties('AWS::Cognito::ManagedLoginBranding', { UseCognitoProvidedValues: true });
  });

  it('refuses callback URLs that are not https (except localhost), are not URLs or carry a fragment', () => {
    expect(() => directoryWith({ consoleCallbackUrls: 'http://console.county.example.cn/' })).toThrow(
      /consoleCallbackUrls: "http:\/\/console.county.example.cn\/" must use https/,
    );
    expect(() => directoryWith({ consoleLogoutUrls: 'console.county.example.cn' })).toThrow(
      /consoleLogoutUrls: "console.county.example.cn" is not a URL/,
    );
    expect(() => signInUrls('consoleCallbackUrls', 'https://c.example.cn/#x')).toThrow(/fragment/);
    expect(signInUrls('consoleCallbackUrls', 'http://127.0.0.1:8080/cb')).toEqual([
      'http://127.0.0.1:8080/cb',
    ]);
  });

  it('refuses a domain prefix Cognito would refuse', () => {
    expect(() => directoryWith({ consoleDomainPrefix: 'My_Domain' })).toThrow(/consoleDomainPrefix/);
    expect(() => directoryWith({ consoleDomainPrefix: 'pamir-cognito' })).toThrow(/without "aws"/);
  });

  it('passes cdk-nag with no new acknowledgement', () => {
    const { stack } = directoryWith({ consoleCallbackUrls: 'https://console.county.example.cn/' });
    expect(awsSolutionsFindings(stack)).toEqual([]);
  });
});
