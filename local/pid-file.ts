/**
 * Pid files: which process holds the data directory (the stack) or its LevelDB folder (dynalite).
 *
 * A process killed with SIGKILL is not gone at once: until its parent reaps it, it is a zombie,
 * and `kill(pid, 0)` still succeeds for it (kill(2): a zombie is a process that exists). When a
 * user kills `npm start`'s whole process group, the stack's parent dies with it, and the zombie
 * waits for init to reap it, which may take a moment or, under an init that does not reap, for
 * ever. So a process counts as alive only when /proc, where the platform has it, shows it in a
 * state other than zombie (Z) or dead (X) (proc_pid_stat(5)). A pid file also records the
 * process's start time (the same page, field 22), so a pid the kernel has since given to another
 * process (after a reboot, say) is not taken for the holder.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

export interface PidFileHolder {
  pid: number;
  /** The process's start time in clock ticks after boot, where /proc has it. */
  startTime?: string;
}

/** The fields of /proc/<pid>/stat after the command name (which may itself hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The state letter of a process as /proc shows it (R, S, D, Z, ...); undefined where it does not. */
export function processState(pid: number): string | undefined {
  return statFields(pid)?.[0];
}

/** Field 22 of the stat line (the third is the first after the name). */
function startTimeOf(pid: number): string | undefined {
  return statFields(pid)?.[22 - 3];
}

/**
 * Whether process `pid` is running: it exists (EPERM: it does, under another user), is neither a
 * zombie nor dead where /proc shows its state, and, when `startTime` is given and /proc has one,
 * started then.
 */
export function processAlive(pid: number, startTime?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const fields = statFields(pid);
  if (!fields) return true; // no /proc here: kill(pid, 0) is all there is
  const state = fields[0];
  if (state === 'Z' || state === 'X' || state === 'x') return false;
  return startTime === undefined || fields[22 - 3] === startTime;
}

/** Records `pid` (this process by default) with its start time. */
export function writePidFile(file: string, pid = process.pid): void {
  const startTime = startTimeOf(pid);
  writeFileSync(file, startTime === undefined ? String(pid) : `${pid} ${startTime}`);
}

/** The process a pid file names, whether or not it still runs; undefined without a readable file. */
export function readPidFile(file: string): PidFileHolder | undefined {
  if (!existsSync(file)) return undefined;
  const [pid, startTime] = readFileSync(file, 'utf8').trim().split(/\s+/);
  const holder: PidFileHolder = { pid: Number(pid) };
  if (startTime) holder.startTime = startTime;
  return Number.isInteger(holder.pid) && holder.pid > 0 ? holder : undefined;
}

/**
 * Waits up to `timeoutMs` for the process a pid file names to be gone. Answers the holder if it
 * is still running then, and undefined (having removed the file) once it is not.
 */
export async function waitForPidFileHolder(
  file: string,
  timeoutMs: number,
): Promise<PidFileHolder | undefined> {
  const holder = readPidFile(file);
  const deadline = Date.now() + timeoutMs;
  while (holder && processAlive(holder.pid, holder.startTime)) {
    if (Date.now() >= deadline) return holder;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  rmSync(file, { force: true });
  return undefined;
}
