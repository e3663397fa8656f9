// The development outbox (`hookflow start --dev` or HOOKFLOW_OUTBOX=1): email, SMS and push steps,
// and http steps to hosts not named in HOOKFLOW_OUTBOUND_ALLOW, are recorded in
// `.hookflow/outbox.jsonl` and shown in the console instead of being sent, so every recipe can be
// tried with no accounts. The step gets a result of the usual shape, marked as captured. Secrets
// stay as the recipe wrote them (`{{ secret.X }}`): the activity that would fill them in never runs.
import { appendFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Json, OutboundInput } from '../core/types.js';
import type { Activities } from './index.js';
import { inCidr, parseAllowList, parseIp } from './outbound-guard.js';

export const OUTBOX_ENV = 'HOOKFLOW_OUTBOX';

export interface OutboxItem {
  id: string;
  at: number;
  kind: 'http' | 'email' | 'sms' | 'push';
  to: string;
  summary: string;
  workflowId: string;
  step: string;
  recipe?: string;
  params: Json;
}

export function outboxEnabled(env: Record<string, string | undefined>): boolean {
  return ['1', 'true', 'yes', 'on'].includes((env[OUTBOX_ENV] ?? '').trim().toLowerCase());
}

export class Outbox {
  readonly file: string;
  private n = 0;

  /** `file`: HOOKFLOW_OUTBOX_FILE, else `<home>/.hookflow/outbox.jsonl`. */
  constructor(home: string, file?: string) {
    this.file = file?.trim() ? path.resolve(home, file.trim()) : path.join(home, '.hookflow', 'outbox.jsonl');
    mkdirSync(path.dirname(this.file), { recursive: true });
  }

  add(item: Omit<OutboxItem, 'id' | 'at'>): OutboxItem {
    const at = Date.now();
    const full: OutboxItem = { id: `outbox-${at.toString(36)}-${process.pid}-${this.n++}`, at, ...item };
    appendFileSync(this.file, `${JSON.stringify(full)}\n`);
    return full;
  }

  /** The newest `limit` items, newest first (the file's last 4 MiB at most). */
  async list(limit: number): Promise<OutboxItem[]> {
    let text: string;
    try {
      const size = statSync(this.file).size;
      const buf = readFileSync(this.file);
      text = buf.subarray(Math.max(0, size - 4 * 1024 * 1024)).toString('utf8');
    } catch {
      return [];
    }
    const out: OutboxItem[] = [];
    const lines = text.split('\n');
    for (let i = lines.length - 1; i >= 0 && out.length < limit; i--) {
      try {
        if (lines[i]) out.push(JSON.parse(lines[i]!) as OutboxItem);
      } catch {
        // a line cut by the 4 MiB window
      }
    }
    return out;
  }
}

/** Whether HOOKFLOW_OUTBOUND_ALLOW names the host of `url` (the only http calls the outbox lets through). */
export function allowedByList(url: string, allowValue: string | undefined): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  const allow = parseAllowList(allowValue);
  const bare = (e: string): string => (/^\[?[0-9a-f:]+\]?:\d+$/i.test(e) || /^[^:]+:\d+$/.test(e) ? e.replace(/:\d+$/, '') : e).replace(/^\[|\]$/g, '');
  if (allow.hosts.some((h) => bare(h) === host)) return true;
  if (allow.suffixes.some((s) => host.endsWith(bare(s)))) return true;
  const ip = parseIp(host);
  return ip !== undefined && allow.cidrs.some((c) => inCidr(ip, c));
}

const text = (v: unknown): string => (Array.isArray(v) ? v.join(', ') : typeof v === 'string' ? v : JSON.stringify(v ?? ''));

/** The activities with the outbox in front: what it captures never reaches the real activity. */
export function withOutbox(real: Activities, outbox: Outbox, env: Record<string, string | undefined>): Activities {
  const capture = <P>(kind: OutboxItem['kind'], input: OutboundInput<P>, to: string, summary: string): OutboxItem =>
    outbox.add({
      kind,
      to,
      summary,
      workflowId: input.workflowId,
      step: input.stepPath,
      ...(input.context ? { recipe: input.context.recipe } : {}),
      params: input.params as unknown as Json,
    });
  return {
    http: async (input) => {
      if (allowedByList(input.params.url, env['HOOKFLOW_OUTBOUND_ALLOW'])) return real.http(input);
      const item = capture('http', input, input.params.url, `${(input.params.method ?? 'GET').toUpperCase()} ${input.params.url}`);
      return { status: 200, ok: true, headers: { 'x-hookflow-outbox': item.id }, body: { captured: true, outbox: item.id } };
    },
    email: async (input) => {
      const item = capture('email', input, text(input.params.to), `email “${input.params.subject}”`);
      return { message_id: `<${item.id}@outbox.hookflow>`, accepted: [input.params.to].flat(), rejected: [] };
    },
    sms: async (input) => {
      const item = capture('sms', input, input.params.to, `sms: ${input.params.body.slice(0, 120)}`);
      return {
        sid: `SM${item.id
          .replace(/[^a-z0-9]/gi, '')
          .padEnd(32, '0')
          .slice(0, 32)}`,
        status: 'captured',
      };
    },
    push: async (input) => {
      const item = capture(
        'push',
        input,
        input.params.provider === 'fcm' ? text(input.params.to) : `${input.params.provider} subscription`,
        `push (${input.params.provider}): ${input.params.title ?? ''} ${input.params.body ?? ''}`.trim(),
      );
      return { id: item.id, status: 201 };
    },
  };
}
