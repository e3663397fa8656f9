// A real SMTP server on 127.0.0.1 for tests (the `smtp-server` package); each message is parsed
// with mailparser and recorded.
//
//   const smtp = await start({ auth: { user: 'u', pass: 'p' }, rejectRecipients: ['nobody@example.com'] });
//   env.SMTP_URL = smtp.url;           // smtp://u:p@127.0.0.1:<port>
//   … smtp.messages[0].subject …
import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedEmail {
  /** SMTP envelope: MAIL FROM and every RCPT TO (bcc included). */
  envelope: { from: string; to: string[] };
  /** Header addresses (lower-case). */
  from: string[];
  to: string[];
  cc: string[];
  replyTo: string[];
  subject: string;
  text: string | undefined;
  html: string | undefined;
  messageId: string | undefined;
  /** The user the client authenticated as, if any. */
  user: string | undefined;
  raw: string;
}

export interface SmtpServerOptions {
  /** Require AUTH with these credentials (PLAIN/LOGIN over the plain connection). */
  auth?: { user: string; pass: string };
  /** RCPT TO these addresses is answered 550 (permanent). */
  rejectRecipients?: string[];
  /** RCPT TO these addresses is answered 451 (try again later). */
  deferRecipients?: string[];
}

export interface TestSmtpServer {
  /** `smtp://[user:pass@]127.0.0.1:<port>`, ready for SMTP_URL. */
  url: string;
  port: number;
  messages: ReceivedEmail[];
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedEmail[]>;
  close(): Promise<void>;
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  if (!field) return [];
  const list = Array.isArray(field) ? field : [field];
  return list.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase())).filter((a) => a !== '');
}

function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

export async function start(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedEmail[] = [];
  const waiters: Array<() => void> = [];
  const reject = new Set((options.rejectRecipients ?? []).map((a) => a.toLowerCase()));
  const defer = new Set((options.deferRecipients ?? []).map((a) => a.toLowerCase()));

  const server = new SMTPServer({
    secure: false,
    disabledCommands: options.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    authOptional: !options.auth,
    logger: false,
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) {
        callback(null, { user: auth.username });
      } else {
        callback(smtpError('Invalid username or password', 535));
      }
    },
    onRcptTo(address, _session, callback) {
      const rcpt = address.address.toLowerCase();
      if (reject.has(rcpt)) return callback(smtpError(`5.1.1 <${rcpt}>: Recipient address rejected: User unknown`, 550));
      if (defer.has(rcpt)) return callback(smtpError(`4.2.1 <${rcpt}>: Mailbox temporarily unavailable`, 451));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then(
          (mail) => {
            messages.push({
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
              },
              from: addresses(mail.from),
              to: addresses(mail.to),
              cc: addresses(mail.cc),
              replyTo: addresses(mail.replyTo),
              subject: mail.subject ?? '',
              text: mail.text,
              html: typeof mail.html === 'string' ? mail.html : undefined,
              messageId: mail.messageId,
              user: typeof session.user === 'string' ? session.user : undefined,
              raw,
            });
            for (const w of waiters.splice(0)) w();
            callback();
          },
          (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
        );
      });
    },
  });
  await new Promise<void>((resolve, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  const credentials = options.auth ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@` : '';

  return {
    url: `smtp://${credentials}127.0.0.1:${port}`,
    port,
    messages,
    waitForMessages(count, timeoutMs = 5000) {
      return new Promise((resolve, rejectWait) => {
        const timer = setTimeout(() => rejectWait(new Error(`smtp server: ${messages.length} of ${count} messages after ${timeoutMs} ms`)), timeoutMs);
        const loop = (): void => {
          if (messages.length >= count) {
            clearTimeout(timer);
            resolve(messages.slice(0, count));
          } else waiters.push(loop);
        };
        loop();
      });
    },
    close() {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
