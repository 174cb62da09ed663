// Runs the product's `livemig inspect` CLI on a captured stream. The CLI is found
// relative to the repository (<repo>/dist/src/cli/main.js), i.e. the freshly built one.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './env.js';

const run = promisify(execFile);

export const CLI = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');

export interface InspectSection {
  offset: number;
  type: 'start' | 'part' | 'end' | 'full';
  sectionId: number;
  idstr?: string;
  instanceId?: number;
  versionId?: number;
  size: number;
}

export interface InspectRamBlock {
  idstr: string;
  usedLength: number;
  pages: number;
  zeroPages: number;
  xbzrlePages: number;
  bytes: number;
}

export interface InspectDevice {
  idstr: string;
  instanceId: number;
  versionId: number;
  fields: Record<string, unknown>;
}

export interface VmdescDevice {
  name: string;
  instance_id: number;
  version?: number;
}

export interface InspectReport {
  file: string;
  size: number;
  header: { version: number };
  configuration: { machine: string; capabilities: string[] };
  sections: InspectSection[];
  commands: { offset: number; name: string }[];
  ram: { blocks: InspectRamBlock[] };
  devices: InspectDevice[];
  eof: boolean;
  vmdesc: { devices?: VmdescDevice[] } | null;
}

export interface DumpIndexEntry {
  idstr: string;
  file: string;
  usedLength: number;
}

/** `inspect FILE --dump-ram DIR --json`, parsed. Throws with the CLI's stderr on failure. */
export async function inspect(file: string, dumpDir: string): Promise<InspectReport> {
  if (!existsSync(CLI)) throw new Error(`inspect CLI not built: ${CLI} (run npm run build)`);
  try {
    const { stdout } = await run(
      process.execPath,
      [CLI, 'inspect', file, '--dump-ram', dumpDir, '--json'],
      { maxBuffer: 256 << 20 },
    );
    return JSON.parse(stdout) as InspectReport;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`livemig inspect ${file} failed: ${e.message}\n${e.stderr ?? ''}`);
  }
}
