import {
  BadRequestException,
  Controller,
  ForbiddenException,
  HttpCode,
  NotFoundException,
  Post,
  Req,
} from '@nestjs/common';
import { TwilioStatusService } from './twilio-status.service';

/** The part of express's request this controller reads. */
interface CallbackRequest {
  readonly originalUrl: string;
  readonly body?: unknown;
  readonly query: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * `POST /api/providers/twilio/status?attempt=…`: Twilio's delivery reports (form-encoded; Nest's
 * express adapter parses urlencoded bodies by default). 204 when recorded or ignored
 * (intermediate statuses); 403 when the signature is missing or wrong; 404 when Twilio is not
 * configured. The path is absolute: the app must not add a global `api` prefix to it.
 */
@Controller('api/providers/twilio')
export class TwilioStatusController {
  constructor(private readonly service: TwilioStatusService) {}

  @Post('status')
  @HttpCode(204)
  async status(@Req() req: CallbackRequest): Promise<void> {
    const signature = req.headers['x-twilio-signature'];
    const attempt = req.query['attempt'];
    const outcome = await this.service.handle({
      signature: typeof signature === 'string' ? signature : undefined,
      originalUrl: req.originalUrl,
      body: req.body,
      attemptKey: typeof attempt === 'string' ? attempt : undefined,
    });
    switch (outcome.kind) {
      case 'recorded':
      case 'ignored':
        return;
      case 'refused':
        switch (outcome.status) {
          case 400:
            throw new BadRequestException(outcome.reason);
          case 403:
            throw new ForbiddenException(outcome.reason);
          case 404:
            throw new NotFoundException(outcome.reason);
        }
    }
  }
}
