/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and names where the time went: self time by function and by module
 * (package, node internals, switchboard's own src/). Also runnable by hand:
 *
 *   tsx scripts/bench/profile.ts FILE.cpuprofile [TOP]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  functions: HotSpot[];
  modules: HotSpot[];
}

/** node_modules/<pkg> or node_modules/@scope/pkg, node:internal, src/<folder>, or the special V8 frames. */
function moduleOf(url: string, functionName: string): string {
  if (!url) return `(${functionName || 'anonymous'})`; // (garbage collector), (program), (idle)
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const src = url.indexOf('/src/');
  if (src >= 0) return `switchboard ${url.slice(src + 1).split('/').slice(0, 2).join('/')}`;
  return url.replace(/^file:\/\//, '');
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const src = url.indexOf('/src/');
  return src >= 0 ? url.slice(src + 1) : url.replace(/^file:\/\//, '');
}

export function summarizeProfile(path: string, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const functions = new Map<string, number>();
  const modules = new Map<string, number>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === '(idle)') continue; // waiting for I/O is not cost
    totalUs += us;
    const fn = `${frame.functionName || '(anonymous)'} ${frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : ''}`.trim();
    functions.set(fn, (functions.get(fn) ?? 0) + us);
    const mod = moduleOf(frame.url, frame.functionName);
    modules.set(mod, (modules.get(mod) ?? 0) + us);
  }
  const rank = (map: Map<string, number>): HotSpot[] =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => ({ name, selfMs: Math.round(us / 1000), percent: Math.round((1000 * us) / totalUs) / 10 }));
  return { totalMs: Math.round(totalUs / 1000), functions: rank(functions), modules: rank(modules) };
}

export function printProfile(title: string, summary: ProfileSummary): void {
  console.log(`\n${title}: ${summary.totalMs} ms of CPU (idle excluded), self time`);
  console.log('  by module:');
  for (const m of summary.modules) console.log(`    ${m.percent.toFixed(1).padStart(5)}%  ${String(m.selfMs).padStart(6)} ms  ${m.name}`);
  console.log('  by function:');
  for (const f of summary.functions) console.log(`    ${f.percent.toFixed(1).padStart(5)}%  ${String(f.selfMs).padStart(6)} ms  ${f.name}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: tsx scripts/bench/profile.ts FILE.cpuprofile [TOP]');
    process.exit(2);
  }
  printProfile(file, summarizeProfile(file, top ? Number(top) : 25));
}
