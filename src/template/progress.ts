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
