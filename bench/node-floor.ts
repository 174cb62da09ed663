/**
 * The RSS of a Node process that does nothing but keep one worker thread
 * alive: the least any `livemig run -machine testvm` can weigh, since its vCPU
 * runs on a worker. Measured in the same run as the benches that compare
 * livemig's per-process overhead against it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import process from 'node:process';

const SCRIPT = `
const { Worker } = require('node:worker_threads');
const w = new Worker('setInterval(() => {}, 1e6)', { eval: true });
w.once('online', () => setTimeout(() => process.stdout.write('ready\\n'), 500));
setInterval(() => {}, 1e6);
`;

/** VmRSS and RssFile (MiB) of an idle `node` with one idle worker thread. */
export async function nodeFloorMiB(): Promise<{ rss: number; file: number }> {
  const child = spawn(process.execPath, ['-e', SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`node floor probe exited (${code})`)));
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve();
      });
    });
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = (key: string): number =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return { rss: kb('VmRSS') / 1024, file: kb('RssFile') / 1024 };
  } finally {
    child.kill('SIGKILL');
  }
}
