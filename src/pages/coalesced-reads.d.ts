/**
 * Returns refresh(): it runs read() now or, when a read is under way, once more after it, however
 * many requests arrived meanwhile. The promise settles when the reads are done.
 */
export function coalescedReads(read: () => Promise<void>): () => Promise<void>;
