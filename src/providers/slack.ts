// Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>">` with
// `X-Slack-Request-Timestamp`. One endpoint may receive Events API JSON, slash commands (form) and
// interactivity (form field `payload` holding JSON).
import { bodyHashId } from './verify-core.js';
import { noEventType, textAt } from './fields.js';
import { v0Scheme } from './v0-scheme.js';
import type { Json } from '../core/types.js';
import type { Provider } from './types.js';

const LABEL = 'Slack';
const SIG = 'X-Slack-Signature';
const TS = 'X-Slack-Request-Timestamp';
const scheme = v0Scheme(LABEL, SIG, TS);

export const slack: Provider = {
  name: 'slack',
  sensitiveHeaders: ['x-slack-signature'],

  verify: scheme.verify,

  describe(req, body) {
    const fallbackId = (): string => bodyHashId(req.rawBody);
    // Interactivity: form field `payload` carries JSON (block_actions, view_submission, shortcut, …).
    const payloadText = textAt(body, ['payload']);
    if (payloadText !== undefined) {
      const payload = parseJson(payloadText);
      const type = payload === undefined ? undefined : textAt(payload, ['type']);
      if (!type || payload === undefined) throw noEventType(LABEL, 'a JSON "payload" form field with a "type"');
      return { type, id: textAt(payload, ['trigger_id']) ?? fallbackId() };
    }
    // Slash command: form fields `command` (e.g. /deploy) and `trigger_id`.
    const command = textAt(body, ['command']);
    if (command !== undefined) return { type: command, id: textAt(body, ['trigger_id']) ?? fallbackId() };
    // Events API: `event_callback` wraps the event; others (url_verification, app_rate_limited) stand alone.
    const outer = textAt(body, ['type']);
    if (outer === 'event_callback') {
      const type = textAt(body, ['event', 'type']);
      if (!type) throw noEventType(LABEL, 'an "event.type" in the event_callback');
      return { type, id: textAt(body, ['event_id']) ?? fallbackId() };
    }
    if (outer) return { type: outer, id: textAt(body, ['event_id']) ?? fallbackId() };
    throw noEventType(LABEL, 'an Events API "type", a slash command "command", or an interactivity "payload"');
  },

  handshake(_req, body) {
    if (textAt(body, ['type']) !== 'url_verification') return undefined;
    const challenge = textAt(body, ['challenge']) ?? '';
    return { status: 200, contentType: 'application/json', body: JSON.stringify({ challenge }) };
  },

  sign: scheme.sign,
};

function parseJson(text: string): Json | undefined {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}
