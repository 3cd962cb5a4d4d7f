import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/** Editors write a file in several steps (truncate, write, rename); one reload follows a burst of events. */
const SETTLE_MS = 150;

/**
 * Calls `changed` after the file at `path` changed. The directory is watched, not the file: an editor that saves by
 * writing a new file and renaming it over the old one leaves a watch on the old file with nothing to report.
 * Returns the stop function.
 */
export function watchFile(path: string, changed: () => void): () => void {
  const file = basename(path);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(resolve(path)), (_event, name) => {
      if (name !== null && name !== file) return;
      clearTimeout(timer);
      timer = setTimeout(changed, SETTLE_MS);
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    // A directory that cannot be watched (gone, or no inotify left): SIGHUP still reloads.
  }
  watcher?.unref();
  return () => {
    clearTimeout(timer);
    watcher?.close();
  };
}
