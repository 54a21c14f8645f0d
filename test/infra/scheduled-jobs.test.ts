import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, type IFunction, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { ScheduledJobs } from '../../infra/constructs/scheduled-jobs';
import { FUNCTIONS, type FunctionName, SCHEDULES } from '../../infra/wiring';
import { testStack } from './support';

/** A stand-in for every function of FUNCTIONS, so schedules can be tested without bundling anything. */
function fakeFunctions(stack: Stack): Record<FunctionName, IFunction> {
  const names = Object.keys(FUNCTIONS) as FunctionName[];
  return Object.fromEntries(
    names.map((name) => [
      name,
      new LambdaFunction(stack, `Fake-${name}`, {
        runtime: Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: Code.fromInline('exports.handler = async () => {};'),
      }),
    ]),
  ) as unknown as Record<FunctionName, IFunction>;
}

describe('ScheduledJobs', () => {
  it('creates one EventBridge rule per SCHEDULES entry', () => {
    const stack = testStack();
    new ScheduledJobs(stack, 'Schedules', { functions: fakeFunctions(stack) });
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', SCHEDULES.length);
  });

  it('invokes the named function at the declared rate, for any list of schedules', () => {
    const stack = testStack();
    const functions = fakeFunctions(stack);
    const [first, second] = Object.keys(FUNCTIONS) as FunctionName[];
    if (!first || !second) throw new Error('this test needs two functions in FUNCTIONS');
    new ScheduledJobs(stack, 'Schedules', {
      functions,
      schedules: [
        { id: 'often', function: first, everyMinutes: 1 },
        { id: 'hourly', function: second, everyMinutes: 60 },
      ],
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Events::Rule', 2);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: stack.resolve(functions[first].functionArn) })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ Arn: stack.resolve(functions[second].functionArn) })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: stack.resolve(functions[first].functionArn),
    });
  });

  it('refuses a schedule that is not a whole number of minutes', () => {
    const stack = testStack();
    const functions = fakeFunctions(stack);
    const [name] = Object.keys(FUNCTIONS) as FunctionName[];
    if (!name) throw new Error('FUNCTIONS is empty');
    expect(
      () =>
        new ScheduledJobs(stack, 'Bad', {
          functions,
          schedules: [{ id: 'x', function: name, everyMinutes: 0.5 }],
        }),
    ).toThrow(/whole number of minutes/);
  });
});
