import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addTelemetryStacks } from '../stacks/telemetry-app';

// Built-in CloudFormation validation stays on; CDK_VALIDATION=false turns it off for a faster synth.
const app = new App();
addTelemetryStacks(app);
// Any AWS Solutions finding, error or warning, fails the synth; accepted findings are acknowledged where they arise.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
