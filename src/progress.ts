// Progress of a multi-step command: a bar on a terminal, one line per step otherwise (CI logs).
import cliProgress from "cli-progress";

export function stepProgress(title: string) {
  if (!process.stdout.isTTY) {
    return { update: (done: number, total: number, step: string) => console.log(`${title}: ${done}/${total} ${step}`), stop: () => {} };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${title} [{bar}] {value}/{total} {step}`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done: number, total: number, step: string) {
      if (!started) bar.start(total, 0, { step });
      started = true;
      bar.update(done, { step });
    },
    stop: () => bar.stop(),
  };
}

/** Progress through a file, in bytes: a bar on a terminal, a line every tenth otherwise. */
export function byteProgress(title: string, total: number) {
  const megabytes = (bytes: number) => (bytes / 1_048_576).toFixed(1);
  if (!process.stdout.isTTY) {
    let reported = 0;
    return {
      update(done: number) {
        const tenth = Math.floor((10 * done) / Math.max(1, total));
        if (tenth <= reported) return;
        reported = tenth;
        console.log(`${title}: ${megabytes(done)} of ${megabytes(total)} MB`);
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${title} [{bar}] {percentage}% {done} of {size} MB`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { done: "0.0", size: megabytes(total) });
  return {
    update: (done: number) => bar.update(done, { done: megabytes(done) }),
    stop: () => bar.stop(),
  };
}
