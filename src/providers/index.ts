// Provider presets by name. Each preset is a small file over ./verify-core.ts; this module adds the
// rules shared by all: `verify: none` turns checking off, and a `verify:` block in sources.yaml
// (hmac/token/basic) replaces a preset's own scheme.
import type { SourceConfig } from '../core/types.js';
import { discord } from './discord.js';
import { credentialHeaders, credentialQueryParams, generic } from './generic.js';
import { github } from './github.js';
import { meiqia } from './meiqia.js';
import { sendbird } from './sendbird.js';
import { shopify } from './shopify.js';
import { slack } from './slack.js';
import { standardWebhooks } from './standard-webhooks.js';
import { stripe } from './stripe.js';
import { twilio } from './twilio.js';
import { isVerifyNone } from './verify-core.js';
import { zoom } from './zoom.js';
import type { Provider } from './types.js';

export type { Described, Evaluate, Handshake, Provider, SignInput, SignOutput, WebhookRequest } from './types.js';
export { metaChallenge } from './meta.js';
export { bodyHashId } from './verify-core.js';
export { credentialQueryParams };

function withSourceRules(p: Provider): Provider {
  return {
    ...p,
    verify(req, source, now) {
      if (isVerifyNone(source.verify)) return;
      if (source.verify !== undefined && p.name !== 'generic') return generic.verify(req, source, now);
      p.verify(req, source, now);
    },
  };
}

const PRESETS: ReadonlyMap<string, Provider> = new Map(
  [meiqia, sendbird, github, stripe, slack, shopify, twilio, standardWebhooks, generic, zoom, discord].map((p) => [p.name, withSourceRules(p)]),
);

const ALIASES: ReadonlyMap<string, string> = new Map([['svix', 'standard-webhooks']]);

/**
 * Names a source may be called (or give as `provider:`) to use a preset, each alias after its preset: the one
 * list of presets. schema/sources.schema.json repeats it for editors (a unit test keeps them equal).
 */
export const PRESET_NAMES: readonly string[] = Object.freeze(
  [...PRESETS.keys()].flatMap((name) => [name, ...[...ALIASES].filter(([, target]) => target === name).map(([alias]) => alias)]),
);

/** A source with a preset's name works without sources.yaml. */
export function isPreset(name: string): boolean {
  return PRESET_NAMES.includes(name);
}

/** The preset of that name; `svix` → the standard-webhooks preset. */
export function getProvider(name: string): Provider | undefined {
  return PRESETS.get(ALIASES.get(name) ?? name);
}

/**
 * Lower-case headers to strip before an event is stored: the preset's signature headers, any
 * credential header the source's `verify:` names, and Authorization/Cookie always.
 */
export function sensitiveHeadersFor(provider: Provider, source: SourceConfig): string[] {
  return [...new Set([...provider.sensitiveHeaders, ...credentialHeaders(source.verify), 'authorization', 'cookie', 'proxy-authorization'])];
}
