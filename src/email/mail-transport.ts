// How a message leaves: SMTP (SMTP_URL) through nodemailer, or, with none configured (the embedded default), an .eml
// file under DATA_DIR/outbox that any mail program opens, so the whole flow can be seen offline.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';

export interface OutgoingMessage {
  from: string;
  to: string;
  replyTo?: string | undefined;
  subject: string;
  text: string;
  html: string;
  /** The same on every attempt at one message, so a receiving server or client can tell a resend. */
  messageId: string;
  headers?: Record<string, string>;
}

export interface MailTransport {
  /** Resolves once the message is accepted (by the SMTP server, or written); rejects with the reason otherwise. */
  send(message: OutgoingMessage): Promise<void>;
  /** Where messages go, for the log line at start ("smtp://host:587" without credentials, or the outbox folder). */
  describe(): string;
  close(): void;
}

/** SMTP per `smtpUrl` (smtp:// or smtps://, credentials in the URL); 20 s to connect and to answer. */
export function smtpTransport(smtpUrl: string): MailTransport {
  const transporter = nodemailer.createTransport(smtpUrl, {
    connectionTimeout: 20_000,
    greetingTimeout: 20_000,
    socketTimeout: 20_000,
  } as object);
  const url = new URL(smtpUrl);
  return {
    async send(message) {
      await transporter.sendMail(message);
    },
    describe: () => `${url.protocol}//${url.host}`,
    close: () => transporter.close(),
  };
}

/** Each message as `<folder>/<time>-<id>.eml`, written whole (to a temporary name, then renamed). */
export function fileTransport(folder: string): MailTransport {
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(message) {
      const built = (await builder.sendMail(message)) as unknown as { message: Buffer };
      await mkdir(folder, { recursive: true });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${message.messageId.replace(/[^\w.-]/g, '')}.eml`;
      const file = path.join(folder, name);
      await writeFile(`${file}.tmp`, built.message);
      await rename(`${file}.tmp`, file);
    },
    describe: () => folder,
    close: () => {},
  };
}
