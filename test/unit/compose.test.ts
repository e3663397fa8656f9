// Structure checks of the production packaging (docker-compose.yml, Dockerfile, deploy/), since
// this machine has no Docker engine to run them. The compose file is parsed the way Compose reads
// it (YAML merge keys on).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (p: string): string => readFileSync(path.join(ROOT, p), 'utf8');

interface DependsOn {
  condition?: string;
}
interface Healthcheck {
  test?: string[] | string;
  disable?: boolean;
}
interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  entrypoint?: string[] | string;
  container_name?: string;
  ports?: Array<string | { published?: string | number; target?: number }>;
  volumes?: Array<string | { type?: string; source?: string; target?: string; read_only?: boolean }>;
  depends_on?: string[] | Record<string, DependsOn>;
  env_file?: string | string[] | Array<{ path: string }>;
  environment?: Record<string, string> | string[];
  healthcheck?: Healthcheck;
  restart?: string;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;
const services = compose.services;
const names = Object.keys(services);

function dependencies(s: Service): Record<string, DependsOn> {
  if (!s.depends_on) return {};
  if (Array.isArray(s.depends_on)) return Object.fromEntries(s.depends_on.map((n) => [n, {}]));
  return s.depends_on;
}

function envOf(s: Service): Record<string, string> {
  if (!s.environment) return {};
  if (!Array.isArray(s.environment)) return s.environment;
  return Object.fromEntries(s.environment.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

function envFiles(s: Service): string[] {
  if (!s.env_file) return [];
  const list = Array.isArray(s.env_file) ? s.env_file : [s.env_file];
  return list.map((e) => (typeof e === 'string' ? e : e.path));
}

/** Short-form or long-form volume → {source, target, readOnly}. */
function mounts(s: Service): Array<{ source: string; target: string; readOnly: boolean }> {
  return (s.volumes ?? []).map((v) => {
    if (typeof v === 'string') {
      const [source = '', target = '', mode = ''] = v.split(':');
      return { source, target, readOnly: mode.split(',').includes('ro') };
    }
    return { source: v.source ?? '', target: v.target ?? '', readOnly: v.read_only === true };
  });
}

/** Host ports a service publishes. */
function published(s: Service): number[] {
  return (s.ports ?? []).map((p) => {
    if (typeof p !== 'string') return Number(p.published);
    const parts = p.split(':');
    // "3000", "3000:3000", "127.0.0.1:3000:3000" → the host side is the second-to-last part.
    return Number(parts.length === 1 ? parts[0] : parts[parts.length - 2]);
  });
}

/** The service running `temporalio/<name>` (first match). */
function serviceOf(image: string, pred: (s: Service) => boolean = () => true): [string, Service] {
  const found = Object.entries(services).find(([, s]) => s.image?.startsWith(`${image}:`) && pred(s));
  assert.ok(found, `a service runs ${image}`);
  return found;
}

const entry = (s: Service): string => [s.entrypoint, s.command].flat().filter(Boolean).join(' ');

describe('docker-compose.yml', () => {
  test('every image is pinned to a version: a tag, not latest', () => {
    for (const [name, s] of Object.entries(services)) {
      assert.ok(s.image, `${name} names an image`);
      const tag = /:([^:/@]+)(@sha256:[0-9a-f]{64})?$/.exec(s.image)?.[1];
      assert.ok(tag, `${name}: ${s.image} has no tag`);
      assert.notEqual(tag, 'latest', `${name}: ${s.image} uses latest`);
      assert.ok(!/\$\{/.test(s.image), `${name}: the tag is fixed in the file, not an interpolated variable`);
      // Pulled images carry a version number; only the locally built one may be named freely.
      if (!s.build) assert.match(tag, /\d+\.\d+/, `${name}: ${s.image} names a specific version`);
    }
  });

  test('no deprecated auto-setup image', () => {
    for (const [name, s] of Object.entries(services)) assert.ok(!s.image?.includes('auto-setup'), `${name} uses ${s.image}`);
  });

  test('Temporal starts only after the admin-tools schema job completed', () => {
    const [serverName, server] = serviceOf('temporalio/server');
    const deps = dependencies(server);
    const jobs = Object.entries(deps).filter(
      ([dep, d]) => d.condition === 'service_completed_successfully' && services[dep]?.image?.startsWith('temporalio/admin-tools:'),
    );
    assert.equal(jobs.length, 1, `${serverName} waits for one admin-tools job to complete`);
    const [jobName] = jobs[0]!;
    const job = services[jobName]!;
    assert.match(entry(job), /setup-schema\.sh/, `${jobName} runs the schema script`);
    assert.ok(existsSync(path.join(ROOT, 'deploy/temporal/setup-schema.sh')));
    assert.match(read('deploy/temporal/setup-schema.sh'), /temporal-sql-tool/);
    assert.equal(envOf(job).SQL_PLUGIN, 'postgres12');
    assert.equal(envOf(server).DB, 'postgres12');
    // Same password on both sides of the connection.
    assert.equal(envOf(job).SQL_PASSWORD, envOf(server).POSTGRES_PWD);
    assert.equal(envOf(services.postgres!).POSTGRES_PASSWORD, envOf(server).POSTGRES_PWD);
    assert.match(services.postgres!.image!, /^postgres:16\./);
  });

  test('the server reads a dynamic config file that ships in deploy/', () => {
    const [, server] = serviceOf('temporalio/server');
    const file = envOf(server).DYNAMIC_CONFIG_FILE_PATH;
    assert.ok(file, 'DYNAMIC_CONFIG_FILE_PATH is set');
    const mount = mounts(server).find((m) => file.startsWith(`${m.target}/`));
    assert.ok(mount, `${file} lies in a mounted directory`);
    assert.ok(existsSync(path.join(ROOT, mount.source, file.slice(mount.target.length + 1))), `${mount.source} holds ${path.basename(file)}`);
  });

  test('one-shot jobs can complete: not restarted after success', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, d] of Object.entries(dependencies(s))) {
        if (d.condition !== 'service_completed_successfully') continue;
        const restart = services[dep]?.restart ?? 'no';
        assert.match(restart, /^(no|on-failure(:\d+)?)$/, `${name} waits for ${dep} to complete, but ${dep} has restart: ${restart}`);
      }
    }
  });

  test('hookflow ingress and worker are built from the Dockerfile with the right commands', () => {
    const { ingress, worker } = services;
    assert.ok(ingress && worker);
    for (const [name, s, cmd] of [
      ['ingress', ingress, 'serve'],
      ['worker', worker, 'worker'],
    ] as const) {
      assert.ok(s.build === '.' || (typeof s.build === 'object' && s.build !== null), `${name} is built`);
      assert.deepEqual([s.command].flat(), [cmd], `${name} runs "${cmd}"`);
      assert.equal(envOf(s).TEMPORAL_ADDRESS, 'temporal:7233', `${name} talks to the compose Temporal`);
      assert.deepEqual(envFiles(s), ['deploy/hookflow.env'], `${name} reads its secrets from deploy/hookflow.env`);
      const deps = dependencies(s);
      const namespaceJob = Object.entries(deps).find(([dep]) => /create-namespace\.sh/.test(entry(services[dep]!)));
      assert.ok(namespaceJob, `${name} waits for the namespace job`);
      assert.equal(namespaceJob[1].condition, 'service_completed_successfully');
    }
    assert.equal(envOf(ingress).PORT, '3000');
  });

  test("ingress and workers share one intake journal in the stack's PostgreSQL, in a database the schema job creates", () => {
    const urls = ['ingress', 'worker'].map((name) => envOf(services[name]!).HOOKFLOW_JOURNAL_URL);
    assert.match(urls[0] ?? '', /^postgres:\/\/[^@]+@postgres:5432\/hookflow$/, 'a postgres:// journal on the compose PostgreSQL');
    assert.equal(urls[1], urls[0], 'workers use the same journal (wait_for, run.failed)');
    assert.match(read('deploy/temporal/setup-schema.sh'), /HOOKFLOW_DB:=hookflow/);
  });

  test('the worker does not depend on Mailpit, which production.md says may be removed', () => {
    assert.equal(dependencies(services.worker!).mailpit, undefined);
  });

  test('recipes are mounted read-only into the ingress', () => {
    const m = mounts(services.ingress!).find((v) => v.target === '/app/recipes');
    assert.ok(m, 'ingress mounts /app/recipes');
    assert.equal(m.source, './recipes');
    assert.equal(m.readOnly, true);
  });

  test('every depends_on names a service of this file', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const dep of Object.keys(dependencies(s))) assert.ok(names.includes(dep), `${name} depends on unknown service "${dep}"`);
    }
  });

  test('every service_healthy dependency has a healthcheck to wait for', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, d] of Object.entries(dependencies(s))) {
        if (d.condition !== 'service_healthy') continue;
        const hc = services[dep]!.healthcheck;
        assert.ok(hc?.test && !hc.disable, `${name} waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
      }
    }
    for (const name of ['postgres', 'ingress', 'mailpit']) assert.ok(services[name]?.healthcheck?.test, `${name} has a healthcheck`);
    assert.ok(serviceOf('temporalio/server')[1].healthcheck?.test, 'the Temporal server has a healthcheck');
  });

  test('the worker scales: no container_name, no published port, no ingress healthcheck', () => {
    const w = services.worker!;
    assert.equal(w.container_name, undefined);
    assert.equal(w.ports, undefined);
    assert.equal(w.healthcheck?.disable, true, 'the image HEALTHCHECK (an HTTP check) is disabled for workers');
    for (const [name, s] of Object.entries(services)) assert.equal(s.container_name, undefined, `${name} has a fixed container_name`);
  });

  test('ports are published only where a person needs them', () => {
    const byService = Object.fromEntries(
      Object.entries(services)
        .filter(([, s]) => s.ports?.length)
        .map(([name, s]) => [name, published(s)]),
    );
    const [uiName] = serviceOf('temporalio/ui');
    const [mailName] = serviceOf('axllent/mailpit');
    assert.deepEqual(byService, { ingress: [3000], [uiName]: [8080], [mailName]: [8025] });
  });

  test('the UI and Mailpit are wired to the stack', () => {
    const [, ui] = serviceOf('temporalio/ui');
    assert.equal(envOf(ui).TEMPORAL_ADDRESS, 'temporal:7233');
    assert.match(read('deploy/hookflow.env.example'), /^SMTP_URL=smtp:\/\/mailpit:1025$/m);
  });

  test('postgres keeps its data in a named volume', () => {
    const data = mounts(services.postgres!).find((m) => m.target === '/var/lib/postgresql/data');
    assert.ok(data, 'postgres mounts its data directory');
    assert.ok(compose.volumes && data.source in compose.volumes, `${data.source} is a named volume`);
  });

  test('every file bind-mounted from the repo exists', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const m of mounts(s)) {
        if (!m.source.startsWith('./')) continue;
        assert.ok(existsSync(path.join(ROOT, m.source)), `${name} mounts ${m.source}, which does not exist`);
      }
    }
  });
});

describe('deploy/', () => {
  test('the env file ships as an example with only VAR=value lines', () => {
    const text = read('deploy/hookflow.env.example');
    const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
    assert.ok(lines.length > 0);
    for (const l of lines) assert.match(l, /^[A-Z][A-Z0-9_]*=\S*$/, `not a VAR=value line: ${l}`);
    // Real secrets never ship: every secret-looking variable is commented out.
    for (const l of lines) assert.doesNotMatch(l, /SECRET|TOKEN|PASSWORD|KEYS?=/, `a secret is set in the example: ${l}`);
  });

  test('the job scripts are valid POSIX sh', () => {
    for (const f of ['deploy/temporal/setup-schema.sh', 'deploy/temporal/create-namespace.sh']) {
      const r = spawnSync('sh', ['-n', path.join(ROOT, f)], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${f}: ${r.stderr}`);
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const ignored = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  test('multi-stage on the node 24 LTS bookworm-slim, compiled in a build stage, production deps only', () => {
    assert.match(dockerfile, /ARG NODE_IMAGE=node:24-bookworm-slim/);
    assert.ok(instructions.filter((l) => /^FROM /.test(l)).length >= 3, 'build, deps and runtime stages');
    assert.ok(instructions.includes('RUN npm run build'), 'the build stage compiles with npm run build');
    assert.ok(instructions.includes('COPY --from=build /app/dist ./dist'), 'the runtime takes the compiled dist/');
    assert.ok(instructions.some((l) => /npm ci --omit=dev/.test(l)));
    const runtime = instructions.slice(instructions.reduce((last, l, i) => (l.startsWith('FROM ') ? i : last), 0));
    assert.ok(!runtime.some((l) => /^COPY (src|workflows) /.test(l) || /--import tsx/.test(l)), 'the runtime stage runs no TypeScript');
  });

  test('runs as a non-root user from /app with a writable .hookflow', () => {
    const users = instructions.filter((l) => l.startsWith('USER '));
    assert.ok(users.length > 0 && !/^USER (root|0)$/.test(users[users.length - 1]!));
    assert.ok(instructions.includes('WORKDIR /app'));
    assert.ok(instructions.some((l) => /chown .*\/app\/\.hookflow/.test(l)));
  });

  test('entrypoint is the hookflow CLI, serve by default, with an HTTP healthcheck', () => {
    assert.ok(instructions.includes('ENTRYPOINT ["node", "dist/src/cli/main.js"]'));
    assert.equal(instructions.filter((l) => l.startsWith('CMD ')).at(-1), 'CMD ["serve"]');
    assert.ok(instructions.some((l) => /^HEALTHCHECK .*\/healthz/.test(l)));
  });

  test('everything the image copies from the repo exists and is not excluded by .dockerignore', () => {
    const sources = instructions
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) => l.replace(/--\S+/g, '').trim().split(/\s+/).slice(1, -1));
    assert.ok(sources.includes('src') && sources.includes('bin') && sources.includes('workflows'));
    for (const s of sources) {
      assert.ok(existsSync(path.join(ROOT, s)), `Dockerfile copies ${s}, which does not exist`);
      assert.ok(!ignored.includes(s), `.dockerignore excludes ${s}, which the image needs`);
    }
    assert.ok(statSync(path.join(ROOT, 'bin/hookflow.mjs')).isFile());
    for (const p of ['node_modules', 'dist', '.hookflow', '.git', '.env', 'deploy/hookflow.env'])
      assert.ok(ignored.includes(p), `.dockerignore keeps ${p} out`);
  });
});
