// A node:test reporter that prints nothing: it counts what the runner reports and, when the run
// ends, writes one JSON line `{"tests":N,"pass":N,"fail":N,"cancelled":N,"skipped":N,"todo":N}` to
// the file named by HOOKFLOW_TEST_COUNTS. scripts/run-tests.mjs runs it beside the `spec` reporter
// (give it `--test-reporter-destination=stdout`) and reads that file, rather than scraping the spec
// reporter's closing lines.
//
// Counted as the built-in reporters count: test cases, not the describe() suites around them
// (details.type === 'suite'), except that a suite whose own hook threw counts as one failure (the
// runner reports its tests as cancelled, and fails the run); a failure that is a cancellation (the
// test timed out, or its parent failed first) is counted as cancelled, not failed.
import { writeFileSync } from 'node:fs';

// eslint-disable-next-line require-yield -- it reports to a file, not to its destination stream
export default async function* testCounts(source) {
  const counts = { tests: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
  // With --test-force-exit, Node 20 exits before a reporter's last output reaches its destination;
  // the counts are also written synchronously on the way out, to the file named here.
  const file = process.env.HOOKFLOW_TEST_COUNTS;
  let written = false;
  const write = () => {
    if (file && !written) writeFileSync(file, `${JSON.stringify(counts)}\n`);
    written = true;
  };
  process.on('exit', write);
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const data = event.data;
    const failureType = data.details?.error?.failureType;
    if (data.details?.type === 'suite') {
      // A suite fails when one of its tests does (counted there), or on its own when a hook of
      // its throws: that fails the run without failing a test, so it is counted here.
      if (event.type === 'test:fail' && failureType !== 'subtestsFailed' && !CANCELLED.has(failureType)) counts.fail += 1;
      continue;
    }
    counts.tests += 1;
    if (data.skip !== undefined) counts.skipped += 1;
    else if (data.todo !== undefined) counts.todo += 1;
    else if (event.type === 'test:pass') counts.pass += 1;
    else if (CANCELLED.has(failureType)) counts.cancelled += 1;
    else counts.fail += 1;
  }
  write();
}

// Failures that are cancellations, as the runner's own summary counts them.
const CANCELLED = new Set(['cancelledByParent', 'testTimeoutFailure']);
