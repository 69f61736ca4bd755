// One qemu run whose serial console streams to the user while it is kept for the verdict: `vmirom run
// --kernel` (bare qemu) and `--hypervisor` (under the reference hypervisor) both boot this way.

import { spawn } from "node:child_process";

export interface StreamedRun {
  status: number | null;
  signal: string | null;
  /** qemu could not be started at all. */
  error?: Error;
  console: string;
  stderr: string;
  /** The --until text appeared (qemu was stopped then). */
  untilSeen: boolean;
  /** The timeout stopped qemu. */
  timedOut: boolean;
}

export interface StreamOptions {
  timeoutS: number;
  until?: string;
  /** Where the console goes as it comes. */
  console: (text: string) => void;
  /** Where qemu's own stderr goes as it comes (default: kept only). */
  stderr?: (chunk: Buffer) => void;
}

export function streamQemu(qemu: string, args: readonly string[], o: StreamOptions): Promise<StreamedRun> {
  let consoleText = "",
    stderr = "",
    untilSeen = false,
    timedOut = false;
  return new Promise((resolve) => {
    const child = spawn(qemu, args, { stdio: ["ignore", "pipe", "pipe"] });
    const done = (status: number | null, signal: string | null, error?: Error) => {
      clearTimeout(timer);
      resolve({ status, signal, ...(error ? { error } : {}), console: consoleText, stderr, untilSeen, timedOut });
    };
    const timer = setTimeout(
      () => {
        timedOut = true;
        child.kill("SIGKILL");
      },
      Math.round(o.timeoutS * 1000),
    );
    child.stdout.on("data", (chunk: Buffer) => {
      const s = chunk.toString("latin1");
      o.console(s);
      consoleText += s;
      if (o.until !== undefined && !untilSeen && consoleText.includes(o.until)) {
        untilSeen = true;
        child.kill("SIGKILL");
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      o.stderr?.(chunk);
      stderr += chunk.toString("utf8");
    });
    child.on("error", (error) => done(null, null, error));
    child.on("close", (status, signal) => done(status, signal));
  });
}
