// Re-reading a snapshot as events arrive, one read at a time: the pages re-read their data with
// it, and the timer alarm (src/timers/alarm.ts) its schedule. Plain JavaScript, so that browsers
// and Node run the same file; coalesced-reads.d.ts gives TypeScript its type.

/**
 * Returns refresh(): it runs read() now or, when a read is under way, once more after it, however
 * many events arrived meanwhile. The promise settles when the reads are done.
 */
export function coalescedReads(read) {
  let reading = null;
  let readAgain = false;
  return function refresh() {
    if (reading) {
      readAgain = true;
      return reading;
    }
    reading = (async () => {
      do {
        readAgain = false;
        await read();
      } while (readAgain);
    })().finally(() => (reading = null));
    return reading;
  };
}
