/**
 * Runs an example exactly as its header says (`Run: …`), from the repository root, with the given environment on
 * top (a test's issuer and ports instead of `npm start`'s), and waits for it to say it is listening.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function runLine(file: string): string {
  const line = readFileSync(file, 'utf8').match(/^ \* Run: (.+)$/m)?.[1];
  if (!line) throw new Error(`${file} has no "Run:" line`);
  return line.trim();
}

export interface RunningExample {
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** `cwd`: where the line runs (default the repository root), e.g. a project that installed the package. */
export function startExample(file: string, env: Record<string, string>, cwd?: string): Promise<RunningExample> {
  // Its own process group, so that stopping it stops whatever the shell line started.
  const proc = spawn('bash', ['-c', runLine(file)], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start:\n${out}`)), 20_000);
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) {
        clearTimeout(timer);
        resolve({ proc, output: () => out, stop: async () => {
            if (proc.exitCode === null && proc.pid) process.kill(-proc.pid, 'SIGTERM');
            await exited;
          },
        });
      }
    });
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with ${code}:\n${out}`));
    });
  });
}
