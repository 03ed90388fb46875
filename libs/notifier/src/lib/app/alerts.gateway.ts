import { Logger } from '@nestjs/common';
import { OnGatewayConnection, OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import { AuthService } from '@fireiot/identity';
import { Namespace, Socket } from 'socket.io';
import { AppChannel, AppSubscriber } from './app.channel';

/**
 * socket.io namespace `/alerts` on the HTTP port (contract.md, "App channel"): a client
 * authenticates with `auth: { token }` (the bearer token of POST /api/auth/login); unit users
 * get their unit's alerts, operators every unit's; auditors are refused (read-only evidence).
 */
@WebSocketGateway({ namespace: '/alerts', cors: { origin: true } })
export class AlertsGateway implements OnGatewayInit, OnGatewayConnection {
  private readonly logger = new Logger(AlertsGateway.name);
  private namespace: Namespace | null = null;

  constructor(
    private readonly auth: AuthService,
    private readonly app: AppChannel,
  ) {}

  afterInit(namespace: Namespace): void {
    this.namespace = namespace;
    namespace.use((socket, next) => {
      const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.['token'];
      if (typeof token !== 'string' || token === '') return next(new Error('unauthorized: auth.token is required'));
      this.auth.verify(token).then(
        (principal) => {
          if (principal.role === 'auditor') return next(new Error('forbidden: auditors do not receive alerts'));
          const who: AppSubscriber = {
            userId: principal.userId,
            unitId: principal.role === 'unit' ? principal.unitId : null,
          };
          (socket.data as { who?: AppSubscriber }).who = who;
          next();
        },
        () => next(new Error('unauthorized: invalid or expired token')),
      );
    });
  }

  handleConnection(socket: Socket): void {
    const who = (socket.data as { who?: AppSubscriber }).who;
    if (!who) {
      socket.disconnect(true);
      return;
    }
    this.app.connect(socket, who).catch((error: unknown) => {
      this.logger.error({ msg: 'catch-up failed', userId: who.userId, error: String(error) });
    });
  }

  /** Emits `event` to every connected operator's socket (not unit users'); returns how many. */
  emitToOperators(event: string, payload: unknown): number {
    return this.emitWhere((who) => who.unitId === null, event, payload);
  }

  /**
   * Emits `event` to every operator's socket and to the sockets of the users of `unitId` (null:
   * operators only); returns how many.
   */
  emitToUnit(unitId: string | null, event: string, payload: unknown): number {
    return this.emitWhere((who) => who.unitId === null || (unitId !== null && who.unitId === unitId), event, payload);
  }

  private emitWhere(to: (who: AppSubscriber) => boolean, event: string, payload: unknown): number {
    let sent = 0;
    for (const socket of this.namespace?.sockets.values() ?? []) {
      const who = (socket.data as { who?: AppSubscriber }).who;
      if (who === undefined || !to(who)) continue;
      socket.emit(event, payload);
      sent++;
    }
    return sent;
  }
}
