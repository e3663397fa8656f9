// A Twilio-compatible Messages API on 127.0.0.1 for tests: `POST /2010-04-01/Accounts/{Sid}/Messages.json`
// with Basic auth and form parameters, answered the way Twilio answers (incl. its error JSON).
//
//   const tw = await start({ accountSid, authToken, badNumbers: { '+15005550001': { code: 21211 } } });
//   env.TWILIO_API_BASE_URL = tw.url;
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TwilioErrorSpec {
  code: number;
  message?: string;
  /** HTTP status; default 400. */
  status?: number;
}

export interface TwilioServerOptions {
  accountSid: string;
  authToken: string;
  /** A `To` number listed here is answered with this Twilio error. */
  badNumbers?: Record<string, TwilioErrorSpec>;
  /** Errors for the next requests, in order (e.g. `[{ code: 20500, status: 503 }]`), before normal handling. */
  failNext?: TwilioErrorSpec[];
}

export interface ReceivedSms {
  sid: string;
  accountSid: string;
  to: string;
  from: string | undefined;
  messagingServiceSid: string | undefined;
  body: string;
  /** Every form parameter as sent. */
  params: Record<string, string>;
}

export interface TwilioServer {
  /** `http://127.0.0.1:<port>`, ready for TWILIO_API_BASE_URL. */
  url: string;
  port: number;
  /** Messages accepted (answered 201). */
  messages: ReceivedSms[];
  /** Every request that reached the server, accepted or not. */
  requests: Array<{ method: string; path: string; authorized: boolean; status: number }>;
  failNext(errors: TwilioErrorSpec[]): void;
  close(): Promise<void>;
}

const DEFAULT_MESSAGES: Record<number, string> = {
  20003: 'Authenticate',
  20404: 'The requested resource was not found',
  21211: "The 'To' number is not a valid phone number.",
  21602: 'Message body is required.',
  21603: "A 'From' or 'MessagingServiceSid' parameter is required to send a message.",
  21604: "A 'To' phone number is required.",
  21610: 'Attempt to send to unsubscribed recipient',
  21614: "'To' number is not a valid mobile number",
};

const E164 = /^\+[1-9]\d{6,14}$/;

export async function start(options: TwilioServerOptions): Promise<TwilioServer> {
  const messages: ReceivedSms[] = [];
  const requests: TwilioServer['requests'] = [];
  let failures = [...(options.failNext ?? [])];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://twilio').pathname;
      const record = { method: req.method ?? '', path, authorized: false, status: 0 };
      requests.push(record);
      const reply = (status: number, body: object): void => {
        record.status = status;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const fail = (spec: TwilioErrorSpec): void => {
        const status = spec.status ?? 400;
        reply(status, {
          code: spec.code,
          message: spec.message ?? DEFAULT_MESSAGES[spec.code] ?? `Error ${spec.code}`,
          more_info: `https://www.twilio.com/docs/errors/${spec.code}`,
          status,
        });
      };

      const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path);
      if (!match || req.method !== 'POST') return fail({ code: 20404, status: 404 });
      const sid = decodeURIComponent(match[1] as string);

      const auth = req.headers.authorization ?? '';
      const [scheme, encoded] = auth.split(' ');
      const [user, ...rest] = Buffer.from(encoded ?? '', 'base64')
        .toString('utf8')
        .split(':');
      record.authorized = scheme === 'Basic' && user === options.accountSid && rest.join(':') === options.authToken && sid === options.accountSid;
      if (!record.authorized) return fail({ code: 20003, status: 401 });

      const next = failures.shift();
      if (next) return fail(next);

      const contentType = req.headers['content-type'] ?? '';
      if (!contentType.startsWith('application/x-www-form-urlencoded')) return fail({ code: 20001, message: `unexpected content-type ${contentType}` });
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const params = Object.fromEntries(form.entries());
      const to = params['To'];
      const from = params['From'];
      const service = params['MessagingServiceSid'];
      const body = params['Body'];
      if (!to) return fail({ code: 21604 });
      const bad = options.badNumbers?.[to];
      if (bad) return fail(bad);
      if (!E164.test(to)) return fail({ code: 21211, message: `The 'To' number ${to} is not a valid phone number.` });
      if (!from && !service) return fail({ code: 21603 });
      if (!body) return fail({ code: 21602 });

      const messageSid = `SM${randomBytes(16).toString('hex')}`;
      messages.push({ sid: messageSid, accountSid: sid, to, from, messagingServiceSid: service, body, params });
      const now = new Date().toUTCString().replace('GMT', '+0000');
      reply(201, {
        account_sid: sid,
        api_version: '2010-04-01',
        body,
        date_created: now,
        date_sent: null,
        date_updated: now,
        direction: 'outbound-api',
        error_code: null,
        error_message: null,
        from: from ?? null,
        messaging_service_sid: service ?? null,
        num_media: '0',
        num_segments: '1',
        price: null,
        price_unit: 'USD',
        sid: messageSid,
        status: service ? 'accepted' : 'queued',
        subresource_uris: { media: `/2010-04-01/Accounts/${sid}/Messages/${messageSid}/Media.json` },
        to,
        uri: `/2010-04-01/Accounts/${sid}/Messages/${messageSid}.json`,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    messages,
    requests,
    failNext(errors) {
      failures = [...errors];
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** A syntactically valid test Account SID and auth token. */
export function testCredentials(): { accountSid: string; authToken: string } {
  return { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: randomBytes(16).toString('hex') };
}
