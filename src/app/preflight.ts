// Start-up that tells the truth: ports checked before anything starts (a busy port, or a Temporal
// server already there, answered with the fix), and the settings the loaded recipes need that the
// environment lacks (secrets, SMTP, Twilio, Web Push / FCM), said at start and by `validate`.
import { createServer, Socket } from 'node:net';
import { stepKind } from '../core/step-kinds.js';
import type { Recipe, Step } from '../core/types.js';

export const TEMPORAL_PORT_ENV = 'HOOKFLOW_TEMPORAL_PORT';
export const TEMPORAL_UI_PORT_ENV = 'HOOKFLOW_TEMPORAL_UI_PORT';

export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** A port from the environment, or the default. */
export function portSetting(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new StartupError(`${name}=${raw} is not a port number (1-65535)`);
  return n;
}

/** Whether something already listens on host:port (a listen attempt that fails with EADDRINUSE). */
export function portBusy(port: number, host?: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EADDRINUSE'
        ? resolve(true)
        : err.code === 'EACCES'
          ? reject(new StartupError(`port ${port} needs privileges this process does not have; choose a port above 1023`))
          : reject(err),
    );
    s.once('listening', () => s.close(() => resolve(false)));
    if (host) s.listen({ port, host, exclusive: true });
    else s.listen({ port, exclusive: true });
  });
}

/** Whether whatever listens on host:port speaks HTTP/2 (gRPC) like a Temporal frontend: it answers the HTTP/2 preface with a SETTINGS frame. */
export function speaksGrpc(port: number, host = '127.0.0.1', timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = new Socket();
    let done = false;
    const finish = (v: boolean): void => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => finish(false));
    sock.once('error', () => finish(false));
    sock.connect(port, host, () => {
      sock.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
      sock.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])); // an empty SETTINGS frame
    });
    sock.once('data', (d: Buffer) => finish(d.length >= 9 && d[3] === 4)); // frame type 4: SETTINGS
  });
}

export interface PortPlan {
  /** The ingress port (PORT) and HOST, when this process serves webhooks; 0 = any. */
  ingress?: { port: number; host?: string };
  /** The embedded dev server's ports, when this process starts one. */
  devServer?: { port: number; uiPort: number };
}

/** Refuses to start, with the fix, when a port hookflow needs is taken. Nothing has started yet when it throws. */
export async function checkPorts(plan: PortPlan): Promise<void> {
  const problems: string[] = [];
  if (plan.devServer) {
    const { port, uiPort } = plan.devServer;
    if (await portBusy(port, '127.0.0.1')) {
      if (await speaksGrpc(port)) {
        problems.push(
          `a Temporal server already answers on 127.0.0.1:${port} (another hookflow, or \`temporal server start-dev\`). ` +
            `hookflow would not start its own and its runs would land in that one. Stop it; or use it on purpose with TEMPORAL_ADDRESS=127.0.0.1:${port}; ` +
            `or give this hookflow its own dev server on free ports, e.g. ${TEMPORAL_PORT_ENV}=${port + 1} ${TEMPORAL_UI_PORT_ENV}=${uiPort + 1}.`,
        );
      } else {
        problems.push(
          `port ${port} (the embedded Temporal dev server) is taken by another program: stop it, or set ${TEMPORAL_PORT_ENV} to a free port (or TEMPORAL_ADDRESS to a Temporal server of your own).`,
        );
      }
    } else if (await portBusy(uiPort, '127.0.0.1')) {
      problems.push(
        `port ${uiPort} (the Temporal UI of the embedded dev server) is taken by another program: stop it, or set ${TEMPORAL_UI_PORT_ENV} to a free port.`,
      );
    }
  }
  if (plan.ingress && plan.ingress.port !== 0 && (await portBusy(plan.ingress.port, plan.ingress.host))) {
    problems.push(
      `PORT ${plan.ingress.port}${plan.ingress.host ? ` on ${plan.ingress.host}` : ''} (the webhook ingress) is taken by another program (another hookflow?): stop it, or set PORT to a free port.`,
    );
  }
  if (problems.length) throw new StartupError(`hookflow cannot start:\n  - ${problems.join('\n  - ')}`);
}

function walk(steps: Step[] | undefined, visit: (s: Step) => void): void {
  for (const s of steps ?? []) {
    visit(s);
    const o = s as unknown as Record<string, unknown>;
    walk(o.then as Step[] | undefined, visit);
    walk(o.else as Step[] | undefined, visit);
    if ('for_each' in o) walk(o.steps as Step[] | undefined, visit);
  }
}

/** The env var names consulted for `secret.NAME` (as src/activities/secrets.ts reads them). */
function secretEnvNames(name: string): string[] {
  const exact = `HOOKFLOW_SECRET_${name}`;
  const normalized = `HOOKFLOW_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  return exact === normalized ? [exact] : [exact, normalized];
}

const SECRET_REF = /\bsecret\.([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * The settings the recipes need that `env` lacks, one line each naming the recipes: `secret.X`,
 * SMTP_URL for email, TWILIO_* for SMS, VAPID_* / FCM_SERVICE_ACCOUNT_FILE for push.
 */
export function missingSettings(recipes: Recipe[], env: Record<string, string | undefined>, opts: { outbox?: boolean } = {}): string[] {
  const has = (name: string): boolean => (env[name] ?? '').trim() !== '' || (env[`${name}_FILE`] ?? '').trim() !== '';
  const need = new Map<string, { why: string; recipes: Set<string> }>();
  const want = (key: string, why: string, recipe: string): void => {
    const e = need.get(key) ?? { why, recipes: new Set<string>() };
    e.recipes.add(recipe);
    need.set(key, e);
  };
  for (const r of recipes) {
    const visit = (s: Step): void => {
      const kind = stepKind(s);
      const o = s as unknown as Record<string, Record<string, unknown> | undefined>;
      if (kind === 'email' && !has('SMTP_URL'))
        want('SMTP_URL', 'SMTP_URL is not set: email steps will fail (e.g. smtp://user:pass@mail.example.com:587)', r.name);
      if (kind === 'sms') {
        const missing = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'].filter((n) => !has(n));
        if (!o.sms?.from && !o.sms?.messaging_service_sid && !has('TWILIO_FROM')) missing.push('TWILIO_FROM');
        if (missing.length) want(`sms:${missing.join()}`, `${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set: sms steps will fail`, r.name);
      }
      if (kind === 'push') {
        if (o.push?.provider === 'fcm') {
          if (!has('FCM_SERVICE_ACCOUNT_FILE')) want('FCM', 'FCM_SERVICE_ACCOUNT_FILE is not set: push steps to FCM will fail', r.name);
        } else {
          const missing = ['VAPID_PUBLIC_KEY', 'VAPID_PRIVATE_KEY'].filter((n) => !has(n));
          if (missing.length) want('VAPID', `${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set: Web Push steps will fail`, r.name);
        }
      }
    };
    // With the development outbox on, email, SMS and push are captured: their settings are not needed.
    if (!opts.outbox) {
      walk(r.steps, visit);
      walk(r.on_failure, visit);
    }
    const text = JSON.stringify({ on: r.on, steps: r.steps, on_failure: r.on_failure ?? null });
    for (const m of text.matchAll(SECRET_REF)) {
      const name = m[1]!;
      const names = secretEnvNames(name);
      if (!names.some(has)) want(`secret:${name}`, `secret.${name} is not set: define ${names[names.length - 1]} (or ${names[names.length - 1]}_FILE)`, r.name);
    }
  }
  return [...need.values()].map((e) => `${e.why} — needed by ${[...e.recipes].sort().join(', ')}`);
}
