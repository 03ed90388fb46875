import { Injectable, Logger } from '@nestjs/common';
import { isoToMicros, microsToIso, ReceiveClock } from '@fireiot/events';
import { AlertRepository, AttemptChannel, AttemptStatus } from '@fireiot/evidence';
import { AlertNotice, ProviderStatusReport, ProviderStatusSink } from './channel.port';
import { NotifierMetrics } from './notifier.metrics';

export interface AttemptRef {
  readonly notice: AlertNotice;
  readonly deadlineMs: number;
  readonly key: string;
  readonly channel: AttemptChannel;
  readonly recipient: string | null;
  readonly address: string | null;
  readonly attemptNo: number;
}

/**
 * Writes the per-attempt evidence (CQC/SC 11002 4.3; CQC83-831102-2025 Annex B): each status an
 * attempt reaches, with the time; for `accepted`, the µs since the alert was received and
 * whether the clause's deadline was met. The first acceptance of an alert feeds the histogram.
 * Writes are group-committed and never delay a send.
 */
@Injectable()
export class AttemptRecorder implements ProviderStatusSink {
  private readonly logger = new Logger(AttemptRecorder.name);
  private readonly clock = new ReceiveClock();
  private readonly firstSent = new Set<string>();

  constructor(
    private readonly alerts: AlertRepository,
    private readonly metrics: NotifierMetrics,
  ) {}

  /** Now, as the evidence records it (µs). */
  nowUs(): bigint {
    return this.clock.now().wallUs;
  }

  record(
    ref: AttemptRef,
    status: AttemptStatus,
    extra: { providerRef?: string | null; error?: string | null; atUs?: bigint } = {},
  ): Promise<void> {
    const atUs = extra.atUs ?? this.nowUs();
    let elapsedUs: number | null = null;
    let deadlineMet: boolean | null = null;
    if (status === 'accepted') {
      elapsedUs = Number(atUs - isoToMicros(ref.notice.receivedAt));
      deadlineMet = elapsedUs <= ref.deadlineMs * 1000;
      this.observeFirstSend(ref.notice, elapsedUs);
    }
    this.metrics.attempts.inc({ channel: ref.channel, status });
    return this.alerts
      .addAttempt({
        alertId: ref.notice.alertId,
        attemptKey: ref.key,
        channel: ref.channel,
        recipient: ref.recipient,
        address: ref.address,
        attemptNo: ref.attemptNo,
        status,
        at: microsToIso(atUs),
        providerRef: extra.providerRef ?? null,
        error: extra.error ?? null,
        elapsedUs,
        deadlineMet,
      })
      .catch((error: unknown) => {
        this.logger.error({
          msg: 'attempt evidence not written',
          alertId: ref.notice.alertId,
          status,
          error: String(error),
        });
      });
  }

  /**
   * A provider's delivery report (status callback), matched to its attempt by key: the accepted
   * one, or one we gave up on (a timed-out request the provider processed after all — the unit
   * did receive it, and the evidence must say so).
   */
  async recordProviderStatus(report: ProviderStatusReport): Promise<void> {
    const attempt =
      (await this.alerts.acceptedAttempt(report.attemptKey)) ?? (await this.alerts.attemptByKey(report.attemptKey));
    if (attempt === null) {
      this.logger.warn({ msg: 'status callback for an unknown attempt', attemptKey: report.attemptKey });
      return;
    }
    if (attempt.status !== 'accepted') {
      this.logger.warn({
        msg: 'provider reports an attempt given up on',
        attemptKey: report.attemptKey,
        recorded: attempt.status,
        status: report.status,
      });
    }
    this.metrics.attempts.inc({ channel: attempt.channel, status: report.status });
    await this.alerts.addAttempt({
      ...attempt,
      status: report.status,
      at: microsToIso(BigInt(report.at.getTime()) * 1000n),
      providerRef: report.providerRef,
      error: report.error,
      elapsedUs: null,
      deadlineMet: null,
    });
  }

  private observeFirstSend(notice: AlertNotice, elapsedUs: number): void {
    if (this.firstSent.has(notice.alertId)) return;
    if (this.firstSent.size > 100_000) this.firstSent.clear();
    this.firstSent.add(notice.alertId);
    this.metrics.firstSend.observe({ kind: notice.kind }, elapsedUs / 1e6);
  }
}
