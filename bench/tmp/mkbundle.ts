import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
const ROOT = process.cwd();
const noop = () => {};
const variants: Record<string, string[]> = {
  'preload-cel': ['@marcbachmann/cel-js'],
  'preload-core': ['@marcbachmann/cel-js', path.join(ROOT, 'src/core/expr.ts'), path.join(ROOT, 'src/core/template.ts'), path.join(ROOT, 'src/core/interpreter.ts')],
};
for (const [name, preloadModules] of Object.entries(variants)) {
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(ROOT, 'workflows/index.ts'), preloadModules, logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop } });
  writeFileSync(`bench/tmp/${name}.js`, code);
  console.log(name, code.length);
}
