/**
 * What an operator watches: the four alarms that mean "records are not flowing" (iterator age, router
 * errors, quarantined records, throttles), all notifying one SNS topic, and a dashboard with the
 * stream, the router and the router's own EMF metrics side by side.
 */
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { MetricName } from '../../router/observability/index.ts';

/** Alarm thresholds; each default is chosen so that one alarm means one incident, not noise. */
export interface RouterAlarmThresholds {
  /** Maximum iterator age (ms) over 5 consecutive minutes before the router is considered behind. */
  readonly iteratorAgeMs?: number;
  /** Router invocation errors per 5 minutes (batch-level failures; per-record failures are not errors). */
  readonly errors?: number;
  /** Quarantined records per 5 minutes. */
  readonly quarantined?: number;
  /** Throttled router invocations per 5 minutes. */
  readonly throttles?: number;
}

/** Inputs of the monitoring construct. */
export interface RouterMonitoringProps {
  readonly router: IFunction;
  readonly stream: IStream;
  readonly topic: ITopic;
  /** `POWERTOOLS_METRICS_NAMESPACE` of the router. */
  readonly metricsNamespace: string;
  /** `POWERTOOLS_SERVICE_NAME` of the router: Powertools adds it as the `service` dimension. */
  readonly serviceName: string;
  readonly dashboardName: string;
  readonly thresholds?: RouterAlarmThresholds;
}

/** Alarms plus dashboard for one router deployment. */
export class RouterMonitoring extends Construct {
  readonly iteratorAgeAlarm: Alarm;
  readonly errorsAlarm: Alarm;
  readonly quarantinedAlarm: Alarm;
  readonly throttlesAlarm: Alarm;
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: RouterMonitoringProps) {
    super(scope, id);
    const thresholds = props.thresholds ?? {};
    const fiveMinutes = Duration.minutes(5);
    // Typed against the router's own metric names, so a renamed metric breaks the build, not the alarm.
    const emf = (metricName: MetricName, statistic = 'Sum'): Metric =>
      new Metric({
        namespace: props.metricsNamespace,
        metricName,
        dimensionsMap: { service: props.serviceName },
        statistic,
        period: fiveMinutes,
      });

    const iteratorAge = props.router.metric('IteratorAge', {
      statistic: 'Maximum',
      period: Duration.minutes(1),
    });
    const errors = props.router.metricErrors({ statistic: 'Sum', period: fiveMinutes });
    const throttles = props.router.metricThrottles({ statistic: 'Sum', period: fiveMinutes });
    const quarantined = emf('Quarantined');

    const alarm = (
      alarmId: string,
      metric: IMetric,
      threshold: number,
      evaluationPeriods: number,
      what: string,
    ) => {
      const created = new Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: what,
      });
      created.addAlarmAction(new SnsAction(props.topic));
      created.addOkAction(new SnsAction(props.topic));
      return created;
    };
    this.iteratorAgeAlarm = alarm(
      'IteratorAgeAlarm',
      iteratorAge,
      thresholds.iteratorAgeMs ?? 60_000,
      5,
      'The router is falling behind the stream: the oldest record in a batch has waited too long.',
    );
    this.errorsAlarm = alarm(
      'ErrorsAlarm',
      errors,
      thresholds.errors ?? 1,
      1,
      'Router invocations failed as a whole (the ESM retries the batch): see the router logs.',
    );
    this.quarantinedAlarm = alarm(
      'QuarantinedAlarm',
      quarantined,
      thresholds.quarantined ?? 1,
      1,
      'Records were quarantined (undecodable, unroutable or failing repeatedly): `router quarantine list`.',
    );
    this.throttlesAlarm = alarm(
      'ThrottlesAlarm',
      throttles,
      thresholds.throttles ?? 1,
      1,
      'Router invocations were throttled: reserved concurrency below shards x parallelization factor + sweep.',
    );

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      widgets: [
        [
          new AlarmStatusWidget({
            title: 'Alarms',
            width: 24,
            alarms: [this.iteratorAgeAlarm, this.errorsAlarm, this.quarantinedAlarm, this.throttlesAlarm],
          }),
        ],
        [
          new GraphWidget({
            title: 'Stream',
            width: 8,
            left: [props.stream.metricIncomingRecords({ statistic: 'Sum' })],
            right: [props.stream.metricGetRecordsIteratorAgeMilliseconds({ statistic: 'Maximum' })],
          }),
          new GraphWidget({
            title: 'Router',
            width: 8,
            left: [props.router.metricInvocations(), errors, throttles],
            right: [props.router.metricDuration({ statistic: 'p99' })],
          }),
          new GraphWidget({ title: 'Iterator age (ms)', width: 8, left: [iteratorAge] }),
        ],
        [
          new GraphWidget({
            title: 'Records',
            width: 8,
            left: (['Records', 'Routed', 'Duplicates', 'Retried', 'Quarantined'] as const).map((name) =>
              emf(name),
            ),
          }),
          new GraphWidget({
            title: 'Executions',
            width: 8,
            left: (['Succeeded', 'Failed', 'Waiting'] as const).map((name) => emf(name)),
          }),
          new GraphWidget({
            title: 'Engine cache and latency (p99 ms)',
            width: 8,
            left: (['CacheHits', 'CacheMisses'] as const).map((name) => emf(name)),
            right: (['StepLatency', 'BatchDuration'] as const).map((name) => emf(name, 'p99')),
          }),
        ],
      ],
    });
  }
}
