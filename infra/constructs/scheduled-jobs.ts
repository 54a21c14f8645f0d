import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { type FunctionName, SCHEDULES, type ScheduleSpec } from '../wiring';

export interface ScheduledJobsProps {
  /** Every function of `FUNCTIONS`, by name, so any schedule can target any of them. */
  readonly functions: Readonly<Record<FunctionName, IFunction>>;
  /**
   * The schedules to create.
   * @default SCHEDULES from wiring.ts
   */
  readonly schedules?: readonly ScheduleSpec[];
}

/**
 * One EventBridge rule per schedule, invoking the named function every `everyMinutes` minutes with the standard
 * "Scheduled Event". Adding an entry to `SCHEDULES` needs no infrastructure code.
 */
export class ScheduledJobs extends Construct {
  /** The rules, by schedule id. */
  public readonly rules: ReadonlyMap<string, Rule>;

  constructor(scope: Construct, id: string, props: ScheduledJobsProps) {
    super(scope, id);
    const rules = new Map<string, Rule>();
    for (const schedule of props.schedules ?? SCHEDULES) {
      if (!Number.isInteger(schedule.everyMinutes) || schedule.everyMinutes < 1) {
        throw new Error(
          `schedule '${schedule.id}': everyMinutes must be a whole number of minutes, at least 1`,
        );
      }
      const rule = new Rule(this, schedule.id, {
        description: `Runs the ${schedule.function} function every ${schedule.everyMinutes} min (${schedule.id}).`,
        schedule: Schedule.rate(Duration.minutes(schedule.everyMinutes)),
        targets: [new LambdaFunction(props.functions[schedule.function])],
      });
      rules.set(schedule.id, rule);
    }
    this.rules = rules;
  }
}
