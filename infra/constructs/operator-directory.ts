import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

/**
 * The directory of people who use the API (operators, crew leads, the health office): a Cognito user pool whose
 * tokens the API's JWT authorizer accepts. Administrators create the accounts; nobody signs up. Sign-in needs a
 * strong password and a TOTP second factor, and threat protection blocks risky and compromised-credential sign-ins.
 */
export class OperatorDirectory extends Construct {
  public readonly userPool: UserPool;
  /** The public client (no secret) of the operator console; its id is the audience of the API's tokens. */
  public readonly consoleClient: UserPoolClient;

  constructor(scope: Construct, id: string) {
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
    this.consoleClient = this.userPool.addClient('ConsoleClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      preventUserExistenceErrors: true,
    });
  }
}
