import { Injectable, Logger } from '@nestjs/common';
import { microsToIso, ReceiveClock } from '@fireiot/events';
import { DutyRecord, DutyRepository, NewDutyEntry, OnDutyRecord } from '@fireiot/evidence';
import { Principal, UserRepository } from '@fireiot/identity';
import { DutyError } from './duty.error';
import { DutyQuery, EntryBody, HandoverBody, ShiftBody } from './duty.schema';

/** A row of the duty log as the API shows it. */
export type DutyEntry = DutyRecord;
export type OnDutyView = OnDutyRecord;

export interface DutyView {
  readonly onDuty: readonly OnDutyView[];
  readonly entries: readonly DutyEntry[];
}

/** A handover keeps at most this many of the open alerts by name (and counts them all). */
export const HANDOVER_OPEN_ALERTS = 500;

/**
 * The monitoring centre's duty log (CQC/SC 11002 5.4.1 a: duty records; b: shift handovers).
 * Operators start and end shifts, write entries, and hand a shift over to another operator with
 * what the next shift must know and the alerts still open at that moment. Who is on duty follows
 * from the log (an operator's latest start or handover-to after their latest end or handover-from).
 */
@Injectable()
export class DutyService {
  private readonly logger = new Logger(DutyService.name);
  private readonly clock = new ReceiveClock();

  constructor(
    private readonly duty: DutyRepository,
    private readonly users: UserRepository,
  ) {}

  async view(query: DutyQuery): Promise<DutyView> {
    const [onDuty, entries] = await Promise.all([
      this.duty.onDuty(),
      this.duty.list({ from: query.from ?? null, to: query.to ?? null, limit: query.limit }),
    ]);
    return { onDuty, entries };
  }

  async start(who: Principal, body: ShiftBody): Promise<DutyEntry> {
    const result = await this.duty.append(this.entry(who, 'start', body.note), 'off-duty');
    if (!result.ok)
      throw new DutyError('already-on-duty', `${who.username} is on duty already (POST /api/duty/end first)`);
    this.logged(result.entry);
    return result.entry;
  }

  async end(who: Principal, body: ShiftBody): Promise<DutyEntry> {
    const result = await this.duty.append(this.entry(who, 'end', body.note), 'on-duty');
    if (!result.ok) throw new DutyError('not-on-duty', `${who.username} is not on duty`);
    this.logged(result.entry);
    return result.entry;
  }

  async note(who: Principal, body: EntryBody): Promise<DutyEntry> {
    const result = await this.duty.append(this.entry(who, 'entry', body.note), null);
    if (!result.ok) throw new Error('a duty entry has no precondition');
    this.logged(result.entry);
    return result.entry;
  }

  /** Ends the caller's shift and starts `to`'s, an operator other than the caller (5.4.1 b). */
  async handover(who: Principal, body: HandoverBody): Promise<DutyEntry> {
    const taker = await this.users.findByUsername(body.to);
    if (taker === null) throw new DutyError('invalid-request', `to: no user ${body.to}`);
    if (taker.role !== 'operator') {
      throw new DutyError(
        'invalid-request',
        `to: ${body.to} is ${taker.role === 'unit' ? 'a unit user' : 'an auditor'}, not an operator`,
      );
    }
    if (taker.id === who.userId) throw new DutyError('invalid-request', 'to: hand the shift over to another operator');
    const result = await this.duty.append(
      { ...this.entry(who, 'handover', body.note), toUserId: taker.id, openAlertsLimit: HANDOVER_OPEN_ALERTS },
      'on-duty',
    );
    if (!result.ok)
      throw new DutyError('not-on-duty', `${who.username} is not on duty: there is no shift to hand over`);
    this.logged(result.entry);
    return result.entry;
  }

  private entry(who: Principal, kind: NewDutyEntry['kind'], note: string | undefined): NewDutyEntry {
    return { kind, userId: who.userId, at: microsToIso(this.clock.now().wallUs), note: note ?? null };
  }

  private logged(entry: DutyEntry): void {
    this.logger.log({
      msg: 'duty log',
      kind: entry.kind,
      entryId: entry.id,
      userId: entry.userId,
      to: entry.to?.userId ?? null,
      openAlertsTotal: entry.openAlertsTotal,
    });
  }
}
