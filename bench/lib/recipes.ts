// Recipe folders for the benches: one unsigned source and N recipes matching each `ping` event.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface BenchRecipeOptions {
  /** How many recipes match each `ping` event of source `bench`. */
  count: number;
  /** When set, each recipe POSTs `{id}` to `<sinkUrl>/e/<recipe>/<event id>`. */
  sinkUrl?: string;
  /** When set, each recipe ends with this `delay` (e.g. "10m"). */
  delay?: string;
  /** Outbound retry policy for the http step. */
  retry?: string;
  timeout?: string;
}

/**
 * sources.yaml declaring one unsigned generic source (`verify: none`): the event type comes from
 * `body.<eventField>` and the delivery id from `body.id`.
 */
export function unsignedSource(name: string, eventField = 'type'): string {
  return `sources:\n  ${name}:\n    provider: generic\n    verify: none\n    event: body.${eventField}\n    id: body.id\n`;
}

export function benchRecipesDir(o: BenchRecipeOptions): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hookflow-bench-'));
  writeFileSync(path.join(dir, 'sources.yaml'), unsignedSource('bench'));
  for (let i = 0; i < o.count; i++) {
    const name = `relay-${i}`;
    const steps: string[] = [];
    if (o.sinkUrl) {
      const extra = [o.retry ? `retry: ${o.retry}` : '', o.timeout ? `timeout: ${o.timeout}` : ''].filter(Boolean).join('\n    ');
      steps.push(`  - http: { method: POST, url: "${o.sinkUrl}/e/${name}/{{ event.id }}", json: { id: "{{ event.id }}" } }${extra ? `\n    ${extra}` : ''}`);
    } else steps.push('  - log: "got {{ event.id }}"');
    if (o.delay) steps.push(`  - delay: ${o.delay}`);
    writeFileSync(path.join(dir, `${name}.yaml`), `name: ${name}\non: { source: bench, event: ping }\nsteps:\n${steps.join('\n')}\n`);
  }
  return dir;
}
