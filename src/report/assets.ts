/**
 * uPlot's browser build and stylesheet, read from the installed package and
 * inlined into every report, so a report opens offline and years later.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export interface UplotAssets {
  /** The IIFE build: defines the global `uPlot`. */
  js: string;
  css: string;
  version: string;
}

let cached: UplotAssets | undefined;

/**
 * Resolve from this module first (the normal case: livemig installed or built in
 * its repository). A build placed outside the repository (a private tsconfig's
 * outDir in /tmp) has no node_modules above it, so fall back to the working
 * directory's.
 */
function resolveUplot(file: string): string {
  const bases = [import.meta.url, join(process.cwd(), 'package.json')];
  let firstError: unknown;
  for (const base of bases) {
    try {
      return createRequire(base).resolve(`uplot/${file}`);
    } catch (e) {
      firstError ??= e;
    }
  }
  throw new Error(`cannot find the uplot package (${(firstError as Error).message})`);
}

/**
 * uPlot's banner is a link to its repository. A report must contain no URL at
 * all (that is how the tests prove it needs no network), so the banner is
 * replaced by the same attribution without one.
 */
function rewriteBanner(js: string, version: string): string {
  return js.replace(
    /^\/\*![^*]*\*\//,
    `/*! uPlot v${version} (c) Leon Sorokin, MIT License; github.com/leeoniya/uPlot */`,
  );
}

export function uplotAssets(): UplotAssets {
  if (cached === undefined) {
    const pkg = JSON.parse(readFileSync(resolveUplot('package.json'), 'utf8')) as {
      version: string;
    };
    const js = readFileSync(resolveUplot('dist/uPlot.iife.min.js'), 'utf8');
    const css = readFileSync(resolveUplot('dist/uPlot.min.css'), 'utf8');
    cached = { js: rewriteBanner(js, pkg.version), css, version: pkg.version };
  }
  return cached;
}
