import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { SmtpSettings } from '../../domain/mail';

/** One mail, with its thread headers. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** "<id@domain>": deterministic per outbox event, so a mail re-sent after a crash is recognisable. */
  messageId: string;
  /** The Message-IDs of the conversation's earlier mails, oldest first (In-Reply-To is the last one). */
  references: string[];
}

export interface Mailer {
  /** For logs, without credentials: "smtp mail.example.com:465". */
  readonly endpoint: string;
  /** Resolves once the server accepted the mail; rejects otherwise. */
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * Mails through SMTP with nodemailer: STARTTLS whenever the server offers it (required with ?starttls=required),
 * TLS 1.2 at least, certificates checked, bounded waits, no file or URL content ever read into a mail.
 */
export function smtpMailer(smtp: SmtpSettings, from: string, timeoutMs = 15_000): Mailer {
  const transport: Transporter = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: smtp.requireTLS,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.pass ?? '' } } : {}),
    tls: { minVersion: 'TLSv1.2', servername: smtp.host },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    endpoint: `smtp ${smtp.host}:${smtp.port}`,
    async send(m) {
      await transport.sendMail({
        from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        html: m.html,
        messageId: m.messageId,
        ...(m.references.length ? { inReplyTo: m.references.at(-1)!, references: m.references } : {}),
      });
    },
    close: () => transport.close(),
  };
}
