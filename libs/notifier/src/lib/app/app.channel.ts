import { Injectable, Logger } from '@nestjs/common';
import { isoToMicros, microsToIso } from '@fireiot/events';
import { AlertRepository, alertFromRow } from '@fireiot/evidence';
import { Socket } from 'socket.io';
import { AttemptRecorder } from '../attempt.recorder';
import { toNotice } from '../alert-notice';
import { attemptKey } from '../attempt.key';
import { AlertNotice } from '../channel.port';

/** The `alert` event of the `/alerts` namespace (contract.md, "App channel"). */
export interface AppAlertPayload extends AlertNotice {
  readonly sentAt: string;
  readonly deadlineMs: number;
}

export interface AppSubscriber {
  readonly userId: string;
  /** null for operators (every unit). */
  readonly unitId: string | null;
}

/**
 * The app channel (CQC/SC 11002 4.2 d, 4.3.3): pushes alerts to the unit's connected apps over
 * socket.io. Evidence per unit user: `accepted` when emitted to their sockets, `delivered` on
 * their first acknowledgement; `queued` when no user of the unit is online. Whatever a user
 * has not acknowledged is pushed again when they connect (alerts missed while offline).
 */
@Injectable()
export class AppChannel {
  private readonly logger = new Logger(AppChannel.name);
  private readonly units = new Map<string, Map<string, Set<Socket>>>();
  private readonly operators = new Set<Socket>();

  constructor(
    private readonly recorder: AttemptRecorder,
    private readonly alerts: AlertRepository,
  ) {}

  /** Acknowledgement wait; an unacknowledged alert is pushed again on the next connection. */
  ackTimeoutMs = 60_000;
  /** How far back a reconnecting app catches up. */
  catchUpMs = 7 * 24 * 3600_000;

  get connected(): number {
    let n = this.operators.size;
    for (const users of this.units.values()) for (const s of users.values()) n += s.size;
    return n;
  }

  async connect(socket: Socket, who: AppSubscriber): Promise<void> {
    if (who.unitId === null) {
      this.operators.add(socket);
      socket.once('disconnect', () => this.operators.delete(socket));
      return;
    }
    const unitId = who.unitId;
    let users = this.units.get(unitId);
    if (!users) this.units.set(unitId, (users = new Map()));
    let sockets = users.get(who.userId);
    if (!sockets) users.set(who.userId, (sockets = new Set()));
    sockets.add(socket);
    socket.once('disconnect', () => {
      sockets.delete(socket);
      if (sockets.size === 0) users.delete(who.userId);
      if (users.size === 0) this.units.delete(unitId);
    });
    await this.catchUp(socket, who.userId, unitId);
  }

  /** Pushes an alert to every online user of its unit (and operators); records evidence. */
  push(notice: AlertNotice, deadlineMs: number): 'accepted' | 'queued' {
    const sentUs = this.recorder.nowUs();
    const payload: AppAlertPayload = { ...notice, sentAt: microsToIso(sentUs), deadlineMs };
    for (const socket of this.operators) socket.emit('alert', payload);
    const users = this.units.get(notice.unitId);
    if (!users || users.size === 0) {
      void this.recorder.record(this.ref(notice, deadlineMs, `unit:${notice.unitId}`, null), 'queued', {
        atUs: sentUs,
      });
      return 'queued';
    }
    for (const [userId, sockets] of users) this.emitToUser(payload, deadlineMs, userId, sockets, sentUs);
    return 'accepted';
  }

  private emitToUser(
    payload: AppAlertPayload,
    deadlineMs: number,
    userId: string,
    sockets: Iterable<Socket>,
    sentUs: bigint,
  ): void {
    const ref = this.ref(payload, deadlineMs, userId, null);
    let count = 0;
    let acknowledged = false;
    // One unref'd timer, not socket.io's `timeout()`: that one outlives a disconnected socket
    // and keeps the process alive for ackTimeoutMs after shutdown.
    let expired = false;
    const timer = setTimeout(() => (expired = true), this.ackTimeoutMs);
    timer.unref();
    for (const socket of sockets) {
      count++;
      socket.emit('alert', payload, () => {
        if (expired || acknowledged) return;
        acknowledged = true;
        clearTimeout(timer);
        void this.recorder.record({ ...ref, address: socket.id }, 'delivered');
      });
    }
    void this.recorder.record({ ...ref, address: `${count} socket(s)` }, 'accepted', { atUs: sentUs });
  }

  private async catchUp(socket: Socket, userId: string, unitId: string): Promise<void> {
    const since = microsToIso(isoToMicros(new Date(Date.now() - this.catchUpMs).toISOString()));
    const missed = await this.alerts.undeliveredForUser(unitId, userId, since, 500);
    for (const row of missed) {
      const alert = alertFromRow(row);
      if (alert === null) continue;
      const sentUs = this.recorder.nowUs();
      const payload = { ...toNotice(alert), sentAt: microsToIso(sentUs), deadlineMs: row.deadlineMs };
      this.emitToUser(payload, row.deadlineMs, userId, [socket], sentUs);
    }
    if (missed.length > 0)
      this.logger.log({ msg: 'delivered alerts missed while offline', unitId, userId, count: missed.length });
  }

  private ref(notice: AlertNotice, deadlineMs: number, recipient: string, address: string | null) {
    return {
      notice,
      deadlineMs,
      key: attemptKey(notice.alertId, 'app', recipient, 1),
      channel: 'app' as const,
      recipient,
      address,
      attemptNo: 1,
    };
  }
}
