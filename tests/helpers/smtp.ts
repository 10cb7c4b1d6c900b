// A real SMTP server in the test process (smtp-server), parsing what it receives (mailparser). It can refuse the
// next messages with a temporary failure, as a busy or greylisting server does, and hold its answer to the next
// message, as a slow server does, so a test can kill the sender while it waits.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import type { Logger } from 'pino';
import { SMTPServer } from 'smtp-server';
import type { Db } from '../../src/db/database.js';
import { createEmailSender, type EmailSender } from '../../src/email/email-sender.js';
import { type MailTransport, smtpTransport } from '../../src/email/mail-transport.js';
import { createLogger } from '../../src/logger.js';

export interface TestSmtp {
  url: string;
  /** The messages accepted (answered 250), in order. */
  messages: ParsedMail[];
  /** The next `count` messages are answered 451 (try again later). */
  refuseNext(count: number): void;
  /**
   * The next message is received in full but not answered. Resolves, once it is, with the message and a way to let it
   * through; a message whose client goes away before the answer is never accepted (not in `messages`).
   */
  holdNext(): Promise<HeldMessage>;
  close(): Promise<void>;
}

export interface HeldMessage {
  message: ParsedMail;
  /** Answers 250 and records the message, unless the client has gone. */
  release(): void;
  /** Resolves when the client closed the connection while the message was held (it is then dropped). */
  abandoned: Promise<void>;
}

export async function startSmtpServer(): Promise<TestSmtp> {
  const messages: ParsedMail[] = [];
  let refusals = 0;
  const holds: ((held: HeldMessage) => void)[] = [];
  // Called when a connection closes, by session id: only while a message on it is held.
  const onConnectionClosed = new Map<string, () => void>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let gone = false;
      let markGone = () => {};
      const abandoned = new Promise<void>((resolve) => (markGone = resolve));
      onConnectionClosed.set(session.id, () => {
        gone = true;
        markGone();
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (refusals > 0) {
          refusals--;
          return callback(Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 }));
        }
        const hold = holds.shift();
        simpleParser(Buffer.concat(chunks)).then(
          (parsed) => {
            const accept = () => {
              if (gone) return;
              onConnectionClosed.delete(session.id);
              messages.push(parsed);
              callback();
            };
            if (hold) hold({ message: parsed, release: accept, abandoned });
            else accept();
          },
          (err: Error) => callback(err),
        );
      });
    },
    onClose(session) {
      onConnectionClosed.get(session.id)?.();
      onConnectionClosed.delete(session.id);
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    refuseNext(count) {
      refusals = count;
    },
    holdNext: () => new Promise<HeldMessage>((resolve) => holds.push(resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * E-mail senders for a test file, each sending at once (no poll, no pause) to the test SMTP server from the test
 * database; `stopAll` after each test.
 */
export function testSenders(bed: () => { db: Db; smtp: TestSmtp; now?: () => Date; logger?: Logger; publicUrl?: string }) {
  const senders: EmailSender[] = [];
  return {
    /** A sender sending at once (no poll, no pause); `options` override the bed's clock and the SMTP transport. */
    sender(options: { transport?: MailTransport; now?: () => Date } = {}): EmailSender {
      const { db, smtp, logger, publicUrl } = bed();
      const now = options.now ?? bed().now;
      const created = createEmailSender({
        db,
        transport: options.transport ?? smtpTransport(smtp.url),
        logger: logger ?? createLogger('silent'),
        from: 'favour <no-reply@favour.test>',
        publicUrl: publicUrl ?? 'http://favour.test',
        pollMs: 0,
        pauseMs: 0,
        ...(now ? { now } : {}),
      });
      senders.push(created);
      return created;
    },
    async stopAll(): Promise<void> {
      for (const s of senders.splice(0)) await s.stop();
    },
  };
}
