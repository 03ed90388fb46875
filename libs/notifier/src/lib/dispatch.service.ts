import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { FIREIOT_CONFIG, FireiotConfig } from '@fireiot/config';
import { AlertRaised, isoToMicros, microsToIso } from '@fireiot/events';
import { AlertRepository, AttemptStatus, UnitContact, UnitDirectory, UnitProfile } from '@fireiot/evidence';
import { toNotice } from './alert-notice';
import { AppChannel } from './app/app.channel';
import { attemptKey, messageKey } from './attempt.key';
import { AttemptRecorder, AttemptRef } from './attempt.recorder';
import { AlertNotice, ProviderChannel, SMS_CHANNEL, VOICE_CHANNEL } from './channel.port';

type ProviderName = 'sms' | 'voice';
type Outcome = 'accepted' | 'failed' | 'not-configured';

/** What is already recorded for an alert's attempts (a resume after a restart). */
export type KnownAttempts = ReadonlyMap<string, ReadonlySet<AttemptStatus>>;

/**
 * Sends an alert to its unit (CQC/SC 11002 4.3.1–4.3.3):
 * - always the app channel (every online user of the unit; queued for the offline ones);
 * - fire alarms: every contact on every one of their channels, all at once;
 * - other alerts, per the unit's policy: `all-channels` = the first contact's channels at once,
 *   failing over to the next contact while nobody's provider accepts; `escalate` = the app first,
 *   contacts only by escalation;
 * - each provider send is retried with exponential backoff while the error is retryable; a
 *   channel that stays down fails over to the contact's other channel, then to the next contact;
 * - nobody confirms within the unit's escalation time → the next contact is called, and so on.
 * Attempt keys are derived (alert, channel, recipient, number): after a restart the same attempt
 * has the same key and an attempt already accepted is not sent again. Every attempt of one
 * message carries the same `Idempotency-Key` (alert, channel, recipient), so the provider creates
 * it once even when a timed-out request or one in flight at a crash had in fact been accepted.
 */
@Injectable()
export class DispatchService {
  private readonly logger = new Logger(DispatchService.name);
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly escalations = new Map<string, NodeJS.Timeout>();
  private readonly confirmed = new Set<string>();
  private stopping = false;

  constructor(
    @Inject(FIREIOT_CONFIG) private readonly config: FireiotConfig,
    @Inject(SMS_CHANNEL) private readonly sms: ProviderChannel,
    @Inject(VOICE_CHANNEL) private readonly voice: ProviderChannel,
    private readonly app: AppChannel,
    private readonly recorder: AttemptRecorder,
    private readonly directory: UnitDirectory,
    private readonly alerts: AlertRepository,
  ) {}

  get pending(): number {
    return this.inFlight.size;
  }

  /** Handles an alert once per process, even if the bus delivers it twice. */
  handle(alert: AlertRaised, known: KnownAttempts | null = null): Promise<void> {
    const running = this.inFlight.get(alert.alertId);
    if (running) return running;
    const work = this.dispatch(alert, known).finally(() => this.inFlight.delete(alert.alertId));
    this.inFlight.set(alert.alertId, work);
    return work;
  }

  /** Someone confirmed (or closed) the alert: no more escalation. */
  settle(alertId: string): void {
    this.confirmed.add(alertId);
    if (this.confirmed.size > 100_000) this.confirmed.clear();
    const timer = this.escalations.get(alertId);
    if (timer) clearTimeout(timer);
    this.escalations.delete(alertId);
  }

  /** Stops escalation timers and waits for sends in progress. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.escalations.values()) clearTimeout(timer);
    this.escalations.clear();
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async dispatch(alert: AlertRaised, known: KnownAttempts | null): Promise<void> {
    const notice = toNotice(alert);
    // The app first: it is the fastest hand-over (an emit), and needs no lookup.
    if (known === null) this.app.push(notice, alert.deadlineMs);
    const unit = await this.directory.unit(alert.unitId);
    if (unit === null) {
      this.logger.warn({ msg: 'alert for an unknown unit: app only', alertId: alert.alertId, unitId: alert.unitId });
      return;
    }
    const contacts = unit.contacts;
    if (alert.kind === 'fire-alarm') {
      await Promise.all(contacts.map((c) => this.contactAllChannels(notice, alert.deadlineMs, c, known)));
    } else if (unit.faultPolicy === 'all-channels') {
      for (const contact of contacts) {
        const outcomes = await this.contactAllChannels(notice, alert.deadlineMs, contact, known);
        if (outcomes.includes('accepted') || outcomes.every((o) => o === 'not-configured')) break;
      }
    }
    if (alert.kind !== 'restored') this.scheduleEscalation(alert, notice, unit, known);
  }

  /** Every channel of one contact at once; a channel that fails over to the contact's other one. */
  private async contactAllChannels(
    notice: AlertNotice,
    deadlineMs: number,
    contact: UnitContact,
    known: KnownAttempts | null,
  ): Promise<Outcome[]> {
    const outcomes = await Promise.all(contact.channels.map((ch) => this.send(notice, deadlineMs, contact, ch, known)));
    if (outcomes.includes('accepted')) return outcomes;
    // No channel of this contact took it: fail over to a channel the contact does not list.
    for (const other of ['sms', 'voice'] as const) {
      if (contact.channels.includes(other)) continue;
      const outcome = await this.send(notice, deadlineMs, contact, other, known);
      outcomes.push(outcome);
      if (outcome === 'accepted') break;
    }
    return outcomes;
  }

  /** One channel to one contact, with retries; every step recorded. */
  private async send(
    notice: AlertNotice,
    deadlineMs: number,
    contact: UnitContact,
    name: ProviderName,
    known: KnownAttempts | null,
  ): Promise<Outcome> {
    const channel = name === 'sms' ? this.sms : this.voice;
    const attempts = this.config.notify.attempts;
    for (let n = 1; n <= attempts; n++) {
      const ref: AttemptRef = {
        notice,
        deadlineMs,
        key: attemptKey(notice.alertId, name, contact.id, n),
        channel: name,
        recipient: contact.id,
        address: contact.phone,
        attemptNo: n,
      };
      const seen = known?.get(ref.key);
      if (seen?.has('accepted') || seen?.has('delivered')) return 'accepted';
      if (!channel.configured) {
        if (!seen?.has('not-configured')) void this.recorder.record(ref, 'not-configured');
        return 'not-configured';
      }
      if (seen?.has('failed')) continue;
      if (this.stopping) return 'failed';
      void this.recorder.record(ref, 'dispatched');
      const result = await channel.send({
        notice,
        attemptKey: ref.key,
        idempotencyKey: messageKey(notice.alertId, name, contact.id),
        to: contact.phone,
      });
      if (result.outcome === 'accepted') {
        // "Sent to the unit": the moment the provider's acceptance reached us (µs clock).
        void this.recorder.record(ref, 'accepted', { providerRef: result.providerRef });
        return 'accepted';
      }
      void this.recorder.record(ref, 'failed', { error: result.error });
      this.logger.warn({
        msg: 'provider attempt failed',
        alertId: notice.alertId,
        channel: name,
        attempt: n,
        error: result.error,
      });
      if (!result.retryable) return 'failed';
      if (n < attempts) await sleep(this.config.notify.backoffMs * 2 ** (n - 1));
    }
    return 'failed';
  }

  private scheduleEscalation(
    alert: AlertRaised,
    notice: AlertNotice,
    unit: UnitProfile,
    known: KnownAttempts | null,
  ): void {
    const afterMs = unit.escalateAfterMs ?? this.config.notify.escalateAfterMs;
    // all-channels already used the first contact; escalate starts from the first one.
    let next = unit.faultPolicy === 'escalate' && alert.kind !== 'fire-alarm' ? 0 : 1;
    if (alert.kind === 'fire-alarm') next = unit.contacts.length; // every contact was called at once
    const receivedMs = Number(isoToMicros(alert.receivedAt) / 1000n);
    const arm = (step: number): void => {
      if (this.stopping || this.confirmed.has(alert.alertId)) return;
      const contact = unit.contacts[next];
      if (contact === undefined) return;
      const dueIn = Math.max(0, receivedMs + afterMs * step - Date.now());
      const timer = setTimeout(() => {
        this.escalations.delete(alert.alertId);
        if (this.confirmed.has(alert.alertId)) return;
        void this.alerts
          .addEvent({
            alertId: alert.alertId,
            type: 'escalated',
            at: microsToIso(this.recorder.nowUs()),
            actor: null,
            note: `not confirmed within ${afterMs / 1000} s: calling ${contact.name}`,
            sourceId: null,
            detail: { contactId: contact.id, step },
          })
          .catch(() => undefined);
        next++;
        void this.contactAllChannels(notice, alert.deadlineMs, contact, known).finally(() => arm(step + 1));
      }, dueIn);
      timer.unref();
      this.escalations.set(alert.alertId, timer);
    };
    arm(1);
  }
}
