// Optional payload encryption: every payload hookflow writes to Temporal (run inputs, step
// results, signals, memo) is sealed with AES-256-GCM before it leaves the process, so the
// Temporal database and anyone reading its history see ciphertext only.
//
// Several keys may be configured for rotation: the first one encrypts, any of them decrypts.
// Each encrypted payload names its key in the metadata, so old runs stay readable after a new
// key is put first.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
// CommonJS package: a named ESM import of `temporal` fails at run time.
import proto from '@temporalio/proto';

const { temporal } = proto;

export const ENCODING_ENCRYPTED = 'binary/encrypted';
export const METADATA_KEY_ID = 'encryption-key-id';
export const CODEC_KEYS_ENV = 'HOOKFLOW_CODEC_KEYS';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface CodecKey {
  id: string;
  /** 32 bytes of key material. */
  key: Uint8Array;
}

/** A payload could not be decrypted: unknown key, tampered or truncated ciphertext. */
export class CodecError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodecError';
  }
}

export class AesGcmCodec implements PayloadCodec {
  private readonly keys: ReadonlyMap<string, Uint8Array>;
  private readonly current: CodecKey;

  /** `keys[0]` encrypts; every key decrypts. */
  constructor(keys: readonly CodecKey[]) {
    const first = keys[0];
    if (!first) throw new CodecError('AesGcmCodec needs at least one key');
    const byId = new Map<string, Uint8Array>();
    for (const k of keys) {
      if (!k.id) throw new CodecError('a codec key has an empty id');
      if (k.key.length !== KEY_BYTES) throw new CodecError(`codec key "${k.id}" is ${k.key.length} bytes; AES-256 needs ${KEY_BYTES}`);
      if (byId.has(k.id)) throw new CodecError(`codec key id "${k.id}" is configured twice`);
      byId.set(k.id, k.key);
    }
    this.keys = byId;
    this.current = first;
  }

  /** The id new payloads are encrypted with. */
  get keyId(): string {
    return this.current.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encrypt(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.decrypt(p));
  }

  private encrypt(payload: Payload): Payload {
    // The whole payload (metadata included) is sealed, so its encoding and type stay private too.
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const iv = randomBytes(IV_BYTES);
    const aad = encoder.encode(this.current.id);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(aad);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return {
      metadata: {
        encoding: encoder.encode(ENCODING_ENCRYPTED),
        [METADATA_KEY_ID]: aad,
      },
      data: Buffer.concat([iv, body, cipher.getAuthTag()]),
    };
  }

  private decrypt(payload: Payload): Payload {
    const encoding = payload.metadata?.encoding;
    if (!encoding || decoder.decode(encoding) !== ENCODING_ENCRYPTED) return payload;
    const rawId = payload.metadata?.[METADATA_KEY_ID];
    if (!rawId) throw new CodecError(`an encrypted payload carries no "${METADATA_KEY_ID}" metadata`);
    const keyId = decoder.decode(rawId);
    const key = this.keys.get(keyId);
    if (!key) {
      throw new CodecError(
        `a payload is encrypted with key id "${keyId}", which is not in ${CODEC_KEYS_ENV} (configured: ${[...this.keys.keys()].join(', ')}); add that key back to decrypt it`,
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) throw new CodecError(`an encrypted payload (key "${keyId}") is truncated: ${data.length} bytes`);
    const iv = data.subarray(0, IV_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    const body = data.subarray(IV_BYTES, data.length - TAG_BYTES);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(rawId);
      decipher.setAuthTag(tag);
      plain = Buffer.concat([decipher.update(body), decipher.final()]);
    } catch (err) {
      throw new CodecError(
        `an encrypted payload (key "${keyId}") fails authentication: it was altered, or the key with that id is not the one it was sealed with`,
        { cause: err },
      );
    }
    const inner = temporal.api.common.v1.Payload.decode(plain);
    return { metadata: inner.metadata, data: inner.data };
  }
}

/**
 * Parses `id:base64key,id:base64key` (first = the one that encrypts). Throws a message naming the
 * variable and the entry at fault; returns [] when the value is empty.
 */
export function parseCodecKeys(value: string | undefined, name = CODEC_KEYS_ENV): CodecKey[] {
  const entries = (value ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  return entries.map((entry, i) => {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new CodecError(`${name} entry ${i + 1} is not "id:base64key" (generate a key with: openssl rand -base64 32)`);
    const id = entry.slice(0, colon).trim();
    const b64 = entry.slice(colon + 1).trim();
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) {
      throw new CodecError(`${name} key "${id}" is not standard base64 (generate one with: openssl rand -base64 32)`);
    }
    const key = Buffer.from(b64, 'base64');
    if (key.length !== KEY_BYTES)
      throw new CodecError(`${name} key "${id}" decodes to ${key.length} bytes; AES-256 needs ${KEY_BYTES} (openssl rand -base64 32)`);
    return { id, key: new Uint8Array(key) };
  });
}

/** The codec configured by `HOOKFLOW_CODEC_KEYS`, or undefined when encryption is off. */
export function codecFromEnv(env: Record<string, string | undefined>): AesGcmCodec | undefined {
  const keys = parseCodecKeys(env[CODEC_KEYS_ENV]);
  return keys.length ? new AesGcmCodec(keys) : undefined;
}

/** `dataConverter` for Worker.create and new Client(…), or undefined when encryption is off. */
export function dataConverterFromEnv(env: Record<string, string | undefined>): DataConverter | undefined {
  const codec = codecFromEnv(env);
  return codec ? { payloadCodecs: [codec] } : undefined;
}
