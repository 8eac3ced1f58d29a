/** Where mails go out: the SMTP server as config/mail.ts read it (TLS decided there), nodemailer's options. */
export interface SmtpSettings {
  host: string;
  port: number;
  /** smtps: TLS from the first byte. */
  secure: boolean;
  /** STARTTLS required (?starttls=required); otherwise used whenever the server offers it. */
  requireTLS: boolean;
  user?: string;
  pass?: string;
}
