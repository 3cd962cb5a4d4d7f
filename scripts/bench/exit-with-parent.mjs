/**
 * Preloaded into every bench child (`--import`): the child exits when the bench process goes away, even when the
 * bench is killed with SIGKILL and has no chance to clean up. The parent holds the write end of the child's stdin;
 * when the parent dies, stdin ends.
 */
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
