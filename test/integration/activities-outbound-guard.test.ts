// Outbound safety: the address tables (pure) and the guard in front of real requests.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.js';
import { OutboundGuard, blockedReason, formatIp, inCidr, parseAllowList, parseCidr, parseIp, type DnsLookup } from '../../src/activities/outbound-guard.js';
import type { HttpParams, OutboundInput } from '../../src/core/types.js';
import * as httpSink from '../helpers/http-sink.js';
import * as pushServer from '../helpers/push-server.js';
import { failureOf, run } from '../helpers/activity.js';

function activityEnv(): MockActivityEnvironment {
  return new MockActivityEnvironment({ startToCloseTimeoutMs: 5_000 }, { logger: new DefaultLogger('ERROR') });
}

describe('parseIp', () => {
  const cases: Array<[string, string | undefined]> = [
    ['127.0.0.1', '127.0.0.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['[::1]', '0:0:0:0:0:0:0:1'],
    ['::', '0:0:0:0:0:0:0:0'],
    ['fe80::1%eth0', 'fe80:0:0:0:0:0:0:1'],
    ['2001:db8::8:800:200c:417a', '2001:db8:0:0:8:800:200c:417a'],
    ['::ffff:127.0.0.1', '0:0:0:0:0:ffff:7f00:1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['256.1.1.1', undefined],
    ['1.2.3', undefined],
    ['01.2.3.4', undefined],
    ['1.2.3.4.5', undefined],
    ['1::2::3', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['1:2:3:4:5:6:7', undefined],
    ['gggg::1', undefined],
    ['example.com', undefined],
    ['', undefined],
  ];
  for (const [text, expected] of cases) {
    test(`${JSON.stringify(text)} → ${expected ?? 'not an IP'}`, () => {
      const ip = parseIp(text);
      assert.equal(ip ? formatIp(ip) : undefined, expected);
    });
  }
});

describe('inCidr', () => {
  const cases: Array<[string, string, boolean]> = [
    ['10.0.0.1', '10.0.0.0/8', true],
    ['11.0.0.1', '10.0.0.0/8', false],
    ['172.16.0.1', '172.16.0.0/12', true],
    ['172.31.255.255', '172.16.0.0/12', true],
    ['172.32.0.1', '172.16.0.0/12', false],
    ['172.15.255.255', '172.16.0.0/12', false],
    ['192.168.4.5', '192.168.4.0/22', true],
    ['192.168.8.1', '192.168.4.0/22', false],
    ['203.0.113.9', '203.0.113.9', true],
    ['203.0.113.10', '203.0.113.9/32', false],
    ['8.8.8.8', '0.0.0.0/0', true],
    ['2001:db8::1', '2001:db8::/32', true],
    ['2001:db9::1', '2001:db8::/32', false],
    ['fd12:3456::1', 'fc00::/7', true],
    ['fe00::1', 'fc00::/7', false],
    ['10.0.0.1', '::/0', false],
  ];
  for (const [ip, range, expected] of cases) {
    test(`${ip} in ${range} → ${expected}`, () => {
      const address = parseIp(ip);
      const cidr = parseCidr(range);
      assert.ok(address && cidr);
      assert.equal(inCidr(address, cidr), expected);
    });
  }

  test('invalid CIDRs are rejected', () => {
    for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/x', '10.0.0.0/8/1', 'host/8']) assert.equal(parseCidr(bad), undefined, bad);
  });
});

describe('blockedReason', () => {
  const cases: Array<[string, RegExp | undefined]> = [
    ['127.0.0.1', /loopback/],
    ['127.255.255.254', /loopback/],
    ['0.0.0.0', /unspecified/],
    ['10.1.2.3', /private/],
    ['172.16.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private/],
    ['169.254.169.254', /link-local.*metadata/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['fe80::1', /link-local/],
    ['febf::1', /link-local/],
    ['fc00::1', /private/],
    ['fd00:ec2::254', /private/],
    ['::ffff:127.0.0.1', /loopback.*IPv4-mapped/],
    ['::ffff:7f00:1', /loopback.*IPv4-mapped/],
    ['::ffff:169.254.169.254', /link-local.*IPv4-mapped/],
    ['::ffff:10.0.0.1', /private.*IPv4-mapped/],
    ['64:ff9b::a9fe:a9fe', /link-local.*NAT64/],
    ['::127.0.0.1', /loopback.*IPv4-compatible/],
    ['8.8.8.8', undefined],
    ['172.32.0.1', undefined],
    ['93.184.216.34', undefined],
    ['2606:4700:4700::1111', undefined],
    ['::ffff:8.8.8.8', undefined],
    ['fec0::1', /site-local/],
  ];
  for (const [ip, expected] of cases) {
    test(`${ip} → ${expected ? expected.source : 'public'}`, () => {
      const address = parseIp(ip);
      assert.ok(address, ip);
      const reason = blockedReason(address);
      if (expected) assert.match(reason ?? '(public)', expected);
      else assert.equal(reason, undefined);
    });
  }
});

describe('parseAllowList', () => {
  test('hostnames, wildcard suffixes, IPs and CIDRs; junk reported', () => {
    const allow = parseAllowList(' 127.0.0.1, Localhost., 10.0.0.0/8 ,*.corp.internal, ::1, bad entry!, ');
    assert.deepEqual(allow.hosts, ['localhost']);
    assert.deepEqual(allow.suffixes, ['.corp.internal']);
    assert.deepEqual(
      allow.cidrs.map((c) => `${formatIp(c.address)}/${c.prefix}`),
      ['127.0.0.1/32', '10.0.0.0/8', '0:0:0:0:0:0:0:1/128'],
    );
    assert.deepEqual(allow.invalid, ['bad entry!']);
  });

  test('unset means nothing allowed', () => {
    assert.deepEqual(parseAllowList(undefined), { hosts: [], suffixes: [], cidrs: [], invalid: [] });
  });
});

describe('the IANA special-purpose ranges (net.BlockList) and allow-list ports', () => {
  const refused: Array<[string, RegExp]> = [
    ['64:ff9b:1::a9fe:a9fe', /local-use NAT64/],
    ['64:ff9b:1:ffff::1', /local-use NAT64/],
    ['2002:7f00:1::1', /6to4/],
    ['2002:a9fe:a9fe::', /6to4/],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', /Teredo/],
    ['2001:2::1', /IETF protocol assignment/],
    ['2001:db8::1', /documentation/],
    ['3fff::1', /documentation/],
    ['100::1', /discard-only/],
    ['5f00::1', /segment routing/],
    ['192.0.0.1', /IETF protocol assignment/],
    ['192.0.0.170', /IETF protocol assignment/],
    ['192.0.2.10', /TEST-NET-1/],
    ['198.18.0.1', /benchmarking/],
    ['198.19.255.254', /benchmarking/],
    ['198.51.100.7', /TEST-NET-2/],
    ['203.0.113.9', /TEST-NET-3/],
    ['192.88.99.1', /6to4 relay/],
    ['::ffff:198.18.0.1', /benchmarking.*IPv4-mapped/],
  ];
  for (const [ip, reason] of refused) {
    test(`${ip} → ${reason.source}`, () => assert.match(blockedReason(parseIp(ip)!) ?? '(public)', reason));
  }
  for (const ip of ['198.20.0.1', '192.0.3.1', '192.1.0.1', '2003::1', '2001:4860:4860::8888', '64:ff9b::808:808']) {
    test(`${ip} stays public`, () => assert.equal(blockedReason(parseIp(ip)!), undefined));
  }

  test('entries may name a port: 127.0.0.1:9000, [::1]:9000, host:port, *.suffix:port; bad ports are reported', () => {
    const allow = parseAllowList('127.0.0.1:9000, [::1]:9001, sink.test:8080, *.corp.internal:8443, [fd00::/8]:443, 10.0.0.0/8, host:0, host:99999, [::1');
    assert.deepEqual(allow.hosts, ['sink.test:8080']);
    assert.deepEqual(allow.suffixes, ['.corp.internal:8443']);
    assert.deepEqual(
      allow.cidrs.map((c) => `${formatIp(c.address)}/${c.prefix}${c.port ? `:${c.port}` : ''}`),
      ['127.0.0.1/32:9000', '0:0:0:0:0:0:0:1/128:9001', 'fd00:0:0:0:0:0:0:0/8:443', '10.0.0.0/8'],
    );
    assert.deepEqual(allow.invalid, ['host:0', 'host:99999', '[::1']);
  });

  test('a port-limited entry allows that port only; an entry without a port allows every port', async () => {
    const lookup: DnsLookup = async () => [{ address: '127.0.0.1', family: 4 }];
    const guard = new OutboundGuard(parseAllowList('127.0.0.1:9000, sink.test:8080, [::1]:9001, 10.0.0.0/8'), lookup);
    assert.deepEqual(
      (await guard.resolve('127.0.0.1', 9000)).map((a) => a.address),
      ['127.0.0.1'],
    );
    const other = await failureOf(guard.resolve('127.0.0.1', 9999));
    assert.equal(other.type, 'OutboundRefused');
    assert.match(other.message, /127\.0\.0\.1:9999 allows that port only/);
    assert.deepEqual(
      (await guard.resolve('sink.test', 8080)).map((a) => a.address),
      ['127.0.0.1'],
    );
    assert.equal((await failureOf(guard.resolve('sink.test', 80))).type, 'OutboundRefused');
    assert.deepEqual(
      (await guard.resolve('[::1]', 9001)).map((a) => a.address),
      ['0:0:0:0:0:0:0:1'],
    );
    assert.equal((await failureOf(guard.resolve('[::1]', 9000))).type, 'OutboundRefused');
    assert.deepEqual(
      (await guard.resolve('10.1.2.3', 1)).map((a) => a.address),
      ['10.1.2.3'],
    );
  });
});

describe('OutboundGuard.resolve', () => {
  const dns: Record<string, string[]> = {
    'public.example': ['93.184.216.34'],
    'rebind.example': ['127.0.0.1'],
    'metadata.example': ['169.254.169.254'],
    'mixed.example': ['10.0.0.7', '93.184.216.34'],
    'v6loop.example': ['::1'],
    'mapped.example': ['::ffff:192.168.0.10'],
    'hooks.corp.internal': ['10.20.30.40'],
    'sink.test': ['127.0.0.1'],
  };
  const lookup: DnsLookup = async (host) => {
    const answers = dns[host.toLowerCase()];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

  const cases: Array<{ host: string; allow?: string; expect: string[] | 'refused' | 'unresolvable' }> = [
    { host: 'public.example', expect: ['93.184.216.34'] },
    { host: '8.8.8.8', expect: ['8.8.8.8'] },
    { host: 'rebind.example', expect: 'refused' },
    { host: 'metadata.example', expect: 'refused' },
    { host: 'metadata.example', allow: '127.0.0.1', expect: 'refused' },
    { host: '169.254.169.254', allow: '127.0.0.1', expect: 'refused' },
    { host: '127.0.0.1', expect: 'refused' },
    { host: '127.0.0.1', allow: '127.0.0.1', expect: ['127.0.0.1'] },
    { host: '127.0.0.2', allow: '127.0.0.1', expect: 'refused' },
    { host: '127.0.0.2', allow: '127.0.0.0/8', expect: ['127.0.0.2'] },
    { host: '[::1]', expect: 'refused' },
    { host: '::ffff:127.0.0.1', expect: 'refused' },
    { host: '::ffff:127.0.0.1', allow: '127.0.0.1', expect: ['0:0:0:0:0:ffff:7f00:1'] },
    { host: '0.0.0.0', allow: '127.0.0.1', expect: 'refused' },
    { host: 'v6loop.example', expect: 'refused' },
    { host: 'mapped.example', expect: 'refused' },
    // Only the public address is kept: the connection cannot land on the private one.
    { host: 'mixed.example', expect: ['93.184.216.34'] },
    { host: 'hooks.corp.internal', allow: '*.corp.internal', expect: ['10.20.30.40'] },
    { host: 'hooks.corp.internal', allow: '10.0.0.0/8', expect: ['10.20.30.40'] },
    { host: 'sink.test', allow: 'sink.test', expect: ['127.0.0.1'] },
    { host: 'SINK.test', allow: 'sink.test', expect: ['127.0.0.1'] },
    { host: 'nowhere.example', expect: 'unresolvable' },
  ];
  for (const c of cases) {
    test(`${c.host}${c.allow ? ` (allow ${c.allow})` : ''} → ${Array.isArray(c.expect) ? c.expect.join(',') : c.expect}`, async () => {
      const guard = new OutboundGuard(parseAllowList(c.allow), lookup);
      if (c.expect === 'refused') {
        const failure = await failureOf(guard.resolve(c.host));
        assert.equal(failure.type, 'OutboundRefused');
        assert.equal(failure.nonRetryable, true);
        assert.match(failure.message, /HOOKFLOW_OUTBOUND_ALLOW/);
      } else if (c.expect === 'unresolvable') {
        const failure = await failureOf(guard.resolve(c.host));
        assert.equal(failure.type, 'NetworkError');
        assert.match(failure.message, /ENOTFOUND/);
      } else {
        const resolved = await guard.resolve(c.host);
        assert.deepEqual(
          resolved.map((r) => r.address),
          c.expect,
        );
      }
    });
  }
});

describe('outbound guard in front of real requests', () => {
  let sink: httpSink.HttpSink;
  let push: pushServer.PushServer;
  const http = (url: string): OutboundInput<HttpParams> => ({ workflowId: 'wf', stepPath: 'steps[0]', params: { url }, secretFields: [] });

  before(async () => {
    sink = await httpSink.start();
    push = await pushServer.start();
  });
  after(async () => {
    await sink.close();
    await push.close();
  });

  test('127.0.0.1 is refused when HOOKFLOW_OUTBOUND_ALLOW does not list it; nothing is sent', async () => {
    const acts = createActivities({ env: {} });
    const failure = await failureOf(run(activityEnv(), acts.http, http(`${sink.url}/x`)));
    assert.equal(failure.type, 'OutboundRefused');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /127\.0\.0\.1 is a loopback address/);
    assert.match(failure.message, /HOOKFLOW_OUTBOUND_ALLOW/);
    assert.equal(sink.requests.length, 0);
  });

  test('localhost resolves to loopback and is refused too', async () => {
    const acts = createActivities({ env: {} });
    const failure = await failureOf(run(activityEnv(), acts.http, http(`http://localhost:${sink.port}/x`)));
    assert.equal(failure.type, 'OutboundRefused');
    assert.equal(sink.requests.length, 0);
  });

  test('169.254.169.254 (cloud metadata) is refused although 127.0.0.1 is allowed', async () => {
    const acts = createActivities({ env: { HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1' } });
    const failure = await failureOf(run(activityEnv(), acts.http, http('http://169.254.169.254/latest/meta-data/iam/')));
    assert.equal(failure.type, 'OutboundRefused');
    assert.match(failure.message, /link-local/);
  });

  test('an IPv4-mapped IPv6 literal of loopback is refused', async () => {
    const acts = createActivities({ env: { HOOKFLOW_OUTBOUND_ALLOW: '10.0.0.0/8' } });
    const failure = await failureOf(run(activityEnv(), acts.http, http(`http://[::ffff:127.0.0.1]:${sink.port}/x`)));
    assert.equal(failure.type, 'OutboundRefused');
    assert.equal(sink.requests.length, 0);
  });

  test('a name that resolves to loopback (DNS rebinding) is refused', async () => {
    const acts = createActivities({ env: { HOOKFLOW_OUTBOUND_ALLOW: '10.0.0.0/8' }, dnsLookup: async () => [{ address: '127.0.0.1', family: 4 }] });
    const failure = await failureOf(run(activityEnv(), acts.http, http(`http://attacker.example:${sink.port}/x`)));
    assert.equal(failure.type, 'OutboundRefused');
    assert.match(failure.message, /attacker\.example resolves to 127\.0\.0\.1/);
    assert.equal(sink.requests.length, 0);
  });

  test('the connection goes to the checked address, not to a second DNS answer', async () => {
    // The name exists only in the guard's lookup: the request can only arrive if the socket
    // used the pinned address; system DNS would fail with ENOTFOUND.
    let lookups = 0;
    const acts = createActivities({
      env: { HOOKFLOW_OUTBOUND_ALLOW: 'hooks.internal.test' },
      dnsLookup: async () => {
        lookups++;
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    const result = await run(activityEnv(), acts.http, http(`http://hooks.internal.test:${sink.port}/pinned`));
    assert.equal(result.status, 200);
    assert.equal(lookups, 1);
    const req = sink.requests.at(-1);
    assert.equal(req?.path, '/pinned');
    assert.equal(req?.headers['host'], `hooks.internal.test:${sink.port}`);
  });

  test('HOOKFLOW_OUTBOUND_ALLOW=127.0.0.1:<port> lets that port through and no other', async () => {
    const allowed = createActivities({ env: { HOOKFLOW_OUTBOUND_ALLOW: `127.0.0.1:${sink.port}` } });
    const ok = await run(activityEnv(), allowed.http, http(`${sink.url}/port-ok`));
    assert.equal(ok.status, 200);
    const elsewhere = createActivities({ env: { HOOKFLOW_OUTBOUND_ALLOW: `127.0.0.1:${sink.port + 1}` } });
    const before = sink.requests.length;
    const failure = await failureOf(run(activityEnv(), elsewhere.http, http(`${sink.url}/port-no`)));
    assert.equal(failure.type, 'OutboundRefused');
    assert.equal(sink.requests.length, before);
  });

  test('a push endpoint on loopback is refused unless allowed', async () => {
    const keys = (await import('web-push')).default.generateVAPIDKeys();
    const env = { VAPID_PUBLIC_KEY: keys.publicKey, VAPID_PRIVATE_KEY: keys.privateKey, VAPID_SUBJECT: 'mailto:ops@example.com' };
    const subscription = push.createSubscription();
    const input = { workflowId: 'wf', stepPath: 'steps[1]', params: { provider: 'webpush' as const, to: subscription, title: 'hi' }, secretFields: [] };
    const refused = await failureOf(run(activityEnv(), createActivities({ env }).push, input));
    assert.equal(refused.type, 'OutboundRefused');
    assert.equal(push.messages.length, 0);
    const sent = await run(activityEnv(), createActivities({ env: { ...env, HOOKFLOW_OUTBOUND_ALLOW: '127.0.0.1' } }).push, input);
    assert.equal(sent.status, 201);
    assert.equal(push.messages.length, 1);
  });
});
