import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import { type BackgroundWorker, createBackgroundLoop } from '../ops/background-loop.js';
import { findPublicationById } from '../publications/publication.repository.js';
import { emailSettingsOf } from '../publications/publication.service.js';
import { claimDueEmails, type DueEmail, markEmailAttemptFailed, markEmailSent, markEmailSkipped } from './email-outbox.repository.js';
import type { MailTransport, OutgoingMessage } from './mail-transport.js';
import { composeEmail } from './compose.js';

/** Sends queued e-mails in the background; one per instance. */
export type EmailSender = BackgroundWorker;

export interface EmailSenderOptions {
  db: Db;
  transport: MailTransport;
  logger: Logger;
  /** MAIL_FROM: `favour <no-reply@localhost>` or a bare address; a publication's `email.from_name` replaces the name. */
  from: string;
  /** PUBLIC_URL: the links in e-mails point here. */
  publicUrl: string;
  now?: () => Date;
  /** Messages per claim (default 10) and the pause between claims while more are due (default 100 ms): bounded throughput. */
  batchSize?: number;
  pauseMs?: number;
  /** How long a claimed message is held before another sender may take it (default 120 s: longer than any SMTP timeout). */
  leaseSeconds?: number;
  /** Fallback poll for messages queued elsewhere and retries come due (default 5 s; 0: none). */
  pollMs?: number;
}

/** 1 min, 5 min, 30 min, 2 h, 6 h, then every 12 h: about 3 days in all before a message is given up. */
const RETRY_MINUTES = [1, 5, 30, 120, 360, 720, 720, 720, 720, 720, 720];

export function retryDelayMinutes(attempts: number): number | undefined {
  return RETRY_MINUTES[attempts - 1];
}

/** "a…@example.com": enough to tell messages apart in a log, not enough to read the address. */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  return at > 0 ? `${address[0]}…${address.slice(at)}` : '…';
}

/** `Name <address>` with the name quoted as RFC 5322 wants, from MAIL_FROM's address and a display name. */
function fromWithName(from: string, name: string | undefined): string {
  if (!name) return from;
  const address = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from.trim();
  return `"${name.replace(/["\\]/g, '')}" <${address}>`;
}

export function createEmailSender(options: EmailSenderOptions): EmailSender {
  const { db, transport, logger } = options;
  const now = options.now ?? (() => new Date());
  const batchSize = options.batchSize ?? 10;

  async function sendOne(due: DueEmail): Promise<void> {
    const publication = await findPublicationById(db, due.publication_id);
    const composed = publication
      ? await composeEmail({ db, publication, publicUrl: options.publicUrl, now: now() }, due)
      : 'publication gone';
    if (typeof composed === 'string') {
      await markEmailSkipped(db, due, composed);
      logger.info({ email_id: due.id, kind: due.kind, reason: composed }, 'e-mail skipped');
      return;
    }
    const settings = emailSettingsOf(publication!);
    const message: OutgoingMessage = {
      from: fromWithName(options.from, settings.from_name),
      to: composed.to,
      replyTo: settings.reply_to,
      ...composed.email,
      ...(composed.headers ? { headers: composed.headers } : {}),
      messageId: `<favour-${due.id}-${due.kind}@${/@([^>\s]+)/.exec(options.from)?.[1] ?? 'localhost'}>`,
    };
    try {
      await transport.send(message);
    } catch (err) {
      const error = String(err instanceof Error ? err.message : err).slice(0, 500);
      const minutes = retryDelayMinutes(due.attempts);
      await markEmailAttemptFailed(db, due, {
        error,
        givenUp: minutes === undefined,
        nextAttemptAt: new Date(now().getTime() + (minutes ?? 0) * 60_000),
      });
      logger.warn(
        { email_id: due.id, kind: due.kind, to: maskAddress(composed.to), attempts: due.attempts, err: error },
        'e-mail not sent; will retry',
      );
      return;
    }
    await markEmailSent(db, due, message.messageId, now());
    logger.info({ email_id: due.id, kind: due.kind, to: maskAddress(composed.to), via: transport.describe() }, 'e-mail sent');
  }

  async function work(): Promise<void> {
    while (!loop.stopped) {
      let batch: DueEmail[];
      try {
        batch = await claimDueEmails(db, now(), batchSize, options.leaseSeconds ?? 120);
      } catch (err) {
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'e-mail sender: claim failed; will retry');
        return;
      }
      if (batch.length === 0) return;
      for (const due of batch) {
        // A row that cannot even be composed (the database went away) stays claimed and comes due after the lease.
        await sendOne(due).catch((err: unknown) =>
          logger.warn({ email_id: due.id, err: err instanceof Error ? err.message : String(err) }, 'e-mail sender: failed'),
        );
      }
      if (options.pauseMs !== 0) await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 100));
    }
  }

  const loop = createBackgroundLoop(async () => {
    await work();
    return true;
  }, options.pollMs ?? 5000);
  return {
    wake: loop.wake,
    drain: loop.drain,
    async stop() {
      await loop.stop();
      transport.close();
    },
  };
}
