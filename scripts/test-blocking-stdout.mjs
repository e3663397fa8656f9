// Loaded into every test process (`--import`) by scripts/run-tests.mjs. node:test runs each file in
// a child process that sends its results to the runner over stdout, a pipe; with --test-force-exit
// the child's process.exit() can come while results are still queued on that pipe, and they are
// lost without an error (nodejs/node#64833: fewer tests counted, exit 0). Writing to the pipe
// synchronously leaves nothing queued.
const handle = /** @type {{ _handle?: { setBlocking?: (b: boolean) => void } }} */ (process.stdout)._handle;
if (!process.stdout.isTTY) handle?.setBlocking?.(true);
