// A node:test reporter that prints nothing: it counts what the runner reports and, when the run
// ends, writes one JSON line `{"tests":N,"pass":N,"fail":N,"cancelled":N,"skipped":N,"todo":N,
// "empty":[…]}` to the file named by HOOKFLOW_TEST_COUNTS. scripts/run-tests.mjs runs it beside the
// `spec` reporter (give it `--test-reporter-destination=stdout`) and reads that file, rather than
// scraping the spec reporter's closing lines.
//
// Counted as the built-in reporters count: test cases, not the describe() suites around them
// (details.type === 'suite'), except that a suite whose own hook threw counts as one failure (the
// runner reports its tests as cancelled, and fails the run); a failure that is a cancellation (the
// test timed out, or its parent failed first) is counted as cancelled, not failed.
//
// Checks that run nothing are failures, listed in `empty`: a test file that declares no test (the
// runner reports the file itself as one passing test) and a describe() with no test in it (a table
// of cases that came out empty). A file that throws while loading is already a failing test.
import { writeFileSync } from 'node:fs';
import path from 'node:path';

// eslint-disable-next-line require-yield -- it reports to a file, not to its destination stream
export default async function* testCounts(source) {
  const counts = { tests: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0, empty: [] };
  // With --test-force-exit, Node 20 exits before a reporter's last output reaches its destination;
  // the counts are also written synchronously on the way out, to the file named here.
  const file = process.env.HOOKFLOW_TEST_COUNTS;
  let written = false;
  const write = () => {
    if (file && !written) writeFileSync(file, `${JSON.stringify(counts)}\n`);
    written = true;
  };
  process.on('exit', write);
  // How many tests and suites have finished at each nesting level of each file since the level
  // above last finished one: a suite's children are reported before the suite itself.
  const finished = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const data = event.data;
    const level = (nesting) => `${data.file ?? ''}\0${nesting}`;
    const children = finished.get(level(data.nesting + 1)) ?? 0;
    finished.delete(level(data.nesting + 1));
    finished.set(level(data.nesting), (finished.get(level(data.nesting)) ?? 0) + 1);
    const failureType = data.details?.error?.failureType;
    if (data.details?.type === 'suite') {
      // A suite fails when one of its tests does (counted there), or on its own when a hook of
      // its throws: that fails the run without failing a test, so it is counted here.
      if (event.type === 'test:fail' && failureType !== 'subtestsFailed' && !CANCELLED.has(failureType)) counts.fail += 1;
      else if (event.type === 'test:pass' && children === 0 && data.skip === undefined && data.todo === undefined) {
        counts.fail += 1;
        counts.empty.push(`${data.file ?? '?'}: describe ${JSON.stringify(data.name)} holds no test`);
      }
      continue;
    }
    counts.tests += 1;
    if (event.type === 'test:pass' && data.nesting === 0 && data.file && path.resolve(data.name) === path.resolve(data.file)) {
      counts.fail += 1;
      counts.empty.push(`${data.file}: declares no test`);
    } else if (data.skip !== undefined) counts.skipped += 1;
    else if (data.todo !== undefined) counts.todo += 1;
    else if (event.type === 'test:pass') counts.pass += 1;
    else if (CANCELLED.has(failureType)) counts.cancelled += 1;
    else counts.fail += 1;
  }
  write();
}

// Failures that are cancellations, as the runner's own summary counts them.
const CANCELLED = new Set(['cancelledByParent', 'testTimeoutFailure']);
