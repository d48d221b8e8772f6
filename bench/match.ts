/**
 * Benchmark: the match job (`recipe-file.md`, "The match algorithm") of server-lite, 100,000 systems ×
 * 50 recipes, with realistic system reports of 5–20 modules from a deterministic generator.
 *
 * ours:     compileRecipe once per recipe, then matchSystem per (system, recipe): compiled mingo queries,
 *           equality index on module-id, memoised counts.
 * baseline: the naive way, measured in the same run: a fresh mingo Query per module × definition per
 *           system (same natural-order semantics), no pruning; on a sample, extrapolated. Both must
 *           give the same results on the sample.
 *
 * Run: npx tsc -p tsconfig.json && node dist/bench/match.js [systems] [baselineSample]
 */
import { Query } from 'mingo';
import { compileRecipe, type MatchDefinition, matchSystem } from '../src/recipe/match.js';
import { rewriteContext, rewriteOperators } from '../src/recipe/query-rewrite.js';
import { rsqlToMongo } from '../src/recipe/rsql.js';
import type { MongoQuery, RecipeFileImage, ReportedModule } from '../src/recipe/types.js';
import { prng } from '../test/helpers/prng.js';

const SYSTEMS = Number(process.argv[2] ?? 100_000);
const RECIPES = 50;
const BASELINE_SAMPLE = Number(process.argv[3] ?? 10);
const UNPRUNED_SAMPLE = 3_000;
const CHUNK = 5_000;
const TARGET_SECONDS = 10;
const VERSION_PROPERTIES = ['hwVersion', 'swVersion', 'SwRevision'];
const VERSIONS = new Set(VERSION_PROPERTIES);

const rng = (seed: number): (() => number) => prng(seed).next;

const pick = <T>(next: () => number, xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;

interface ModuleType {
  id: string;
  hws: string[];
  sws: string[];
}

interface Variant {
  /** Module types and how many of each a system of this variant carries. */
  slots: { type: ModuleType; count: number }[];
}

// ---- the fleet model (fixed seed) -------------------------------------------------------------------
const model = rng(20261122);
const MODULE_TYPES: ModuleType[] = Array.from({ length: 30 }, (_, i) => ({
  id: i === 0 ? 'gw' : String(4000 + i * 37),
  hws: Array.from(
    { length: 2 + Math.floor(model() * 4) },
    (_, h) => `${1 + Math.floor(h / 2)}.${[7, 8, 9, 10][h % 4]}`,
  ),
  sws: Array.from(
    { length: 3 + Math.floor(model() * 3) },
    (_, s) => `${2 + Math.floor(s / 3)}.${s % 3}.${Math.floor(model() * 12)}`,
  ),
}));

const VARIANTS: Variant[] = Array.from({ length: 40 }, () => {
  const slots = [{ type: MODULE_TYPES[0]!, count: 1 }];
  const others = 3 + Math.floor(model() * 8);
  const used = new Set<number>();
  let modules = 1;
  while (slots.length < others + 1) {
    const t = 1 + Math.floor(model() * (MODULE_TYPES.length - 1));
    if (used.has(t)) continue;
    used.add(t);
    const count = Math.min(1 + Math.floor(model() * 3), 20 - modules - (others - slots.length));
    modules += count;
    slots.push({ type: MODULE_TYPES[t]!, count: Math.max(1, count) });
  }
  return { slots };
});

function definition(name: string, match: string, count: string, version?: string): MatchDefinition {
  const matchQuery = rsqlToMongo(match, 'match');
  const matchCount = rsqlToMongo(count, 'count') as { count: MongoQuery };
  if (version === undefined) return { name, match: matchQuery, matchCount };
  const image: RecipeFileImage = {
    _module: { name, description: '', match: matchQuery, matchCount },
    _software: { softwareId: '1', name, artifacts: [] },
    type: 'dummy',
    filename: `${name}.bin`,
    version,
    sha256: '0'.repeat(64),
  };
  return { name, match: matchQuery, matchCount, image };
}

/** Recipe r targets variant r mod 40 (some variants get two recipe versions). */
function makeRecipe(r: number): MatchDefinition[] {
  const next = rng(1000 + r);
  const variant = VARIANTS[r % VARIANTS.length]!;
  const defs: MatchDefinition[] = [];
  for (const { type, count } of variant.slots) {
    const name = `${type.id}-def`;
    const hwSubset = type.hws.filter(() => next() < 0.85);
    const hw = hwSubset.length > 0 ? hwSubset : type.hws;
    const countQuery = pick(next, [`count==${count}`, 'count>=1', `count<=${count + 1}`, 'count=gt=0']);
    const style = next();
    if (type.id === 'gw') defs.push(definition(name, 'attributes.module-id==gw', 'count==1', '7.1.0'));
    else if (style < 0.5) {
      defs.push(
        definition(
          name,
          `attributes.module-id==${type.id} and attributes.hwVersion=in=(${hw.join(',')})`,
          countQuery,
          pick(next, type.sws),
        ),
      );
    } else if (style < 0.75) {
      defs.push(
        definition(
          name,
          `attributes.module-id==${type.id};attributes.hwVersion=ge=1.8;attributes.swVersion=lt=9`,
          countQuery,
          pick(next, type.sws),
        ),
      );
    } else {
      defs.push(definition(name, `attributes.module-id==${type.id}`, 'count=ge=0'));
    }
  }
  // a fifth of the recipes carry a definition without module-id: evaluated against every module
  if (next() < 0.2)
    defs.push(
      definition(
        'legacy',
        'attributes.partNumber=out=(P-1,P-2) and attributes.hwVersion=lt=0.5',
        'count=ge=0',
      ),
    );
  return defs;
}

/** System i: its variant's modules, hardware and software versions drawn per module; 8 % carry an extra module. */
function makeSystem(i: number): ReportedModule[] {
  const next = rng(7_000_000 + i);
  const variant = VARIANTS[Math.floor(next() ** 1.5 * VARIANTS.length)]!; // some variants are much more common
  const modules: ReportedModule[] = [];
  for (const { type, count } of variant.slots) {
    for (let c = 0; c < count; c++) {
      modules.push({
        id: `SN-${i}-${modules.length}`,
        type: type.id,
        name: `${type.id}-${c}`,
        attributes: {
          'module-id': type.id,
          hwVersion: pick(next, type.hws),
          swVersion: pick(next, type.sws),
          partNumber: `P-${type.id}-${Math.floor(next() * 4)}`,
          serialNumber: `SN-${i}-${modules.length}`,
        },
      });
    }
  }
  if (next() < 0.08) {
    const stray = pick(next, MODULE_TYPES);
    modules.push({
      id: `SN-${i}-x`,
      type: stray.id,
      name: 'aftermarket',
      attributes: {
        'module-id': stray.id,
        hwVersion: pick(next, stray.hws),
        swVersion: pick(next, stray.sws),
      },
    });
  }
  return modules;
}

/** The naive evaluation: a fresh mingo Query per module × definition, no index, no memo. */
function naiveMatches(defs: MatchDefinition[], modules: ReportedModule[]): boolean {
  const counts = new Array<number>(defs.length).fill(0);
  let ok = true;
  for (const m of modules) {
    let hits = 0;
    let which = -1;
    defs.forEach((d, i) => {
      if (new Query(rewriteOperators(d.match, VERSIONS), { context: rewriteContext }).test(m.attributes)) {
        hits++;
        which = i;
      }
    });
    if (hits !== 1) ok = false;
    else counts[which]!++;
  }
  defs.forEach((d, i) => {
    if (!new Query(d.matchCount, { context: rewriteContext }).test({ count: counts[i] })) ok = false;
  });
  return ok;
}

/** Reference without index, residuals or memo: every full match query, compiled once, on every module. */
function unprunedMatches(defs: { match: Query; count: Query }[], modules: ReportedModule[]): boolean {
  const counts = new Array<number>(defs.length).fill(0);
  for (const m of modules) {
    const hits = defs.flatMap((d, i) => (d.match.test(m.attributes) ? [i] : []));
    if (hits.length !== 1) return false;
    counts[hits[0]!]!++;
  }
  return defs.every((d, i) => d.count.test({ count: counts[i] }));
}

function cpuSeconds(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}

function seconds(fromNs: bigint): number {
  return Number(process.hrtime.bigint() - fromNs) / 1e9;
}

function main(): void {
  const wallStart = process.hrtime.bigint();
  const recipeDefs = Array.from({ length: RECIPES }, (_, r) => makeRecipe(r));

  // ours
  let matchNs = 0n;
  let matchCpu = 0;
  let t = process.hrtime.bigint();
  let c = process.cpuUsage();
  const compiled = recipeDefs.map((defs) => compileRecipe(defs, VERSION_PROPERTIES));
  matchNs += process.hrtime.bigint() - t;
  matchCpu += cpuSeconds(c);
  let pairs = 0;
  let systemsWithRecipe = 0;
  let modulesSeen = 0;
  let atTarget = 0;
  for (let base = 0; base < SYSTEMS; base += CHUNK) {
    const chunk = Array.from({ length: Math.min(CHUNK, SYSTEMS - base) }, (_, k) => makeSystem(base + k));
    t = process.hrtime.bigint();
    c = process.cpuUsage();
    for (const modules of chunk) {
      modulesSeen += modules.length;
      let any = false;
      for (const recipe of compiled) {
        const result = matchSystem(recipe, modules);
        if (result.matched) {
          pairs++;
          any = true;
          for (const a of result.assignments) if (a.atTarget) atTarget++;
        }
      }
      if (any) systemsWithRecipe++;
    }
    matchNs += process.hrtime.bigint() - t;
    matchCpu += cpuSeconds(c);
  }
  const ours = Number(matchNs) / 1e9;

  // baseline on a sample, and agreement with ours on it
  let disagreements = 0;
  const sample = Array.from({ length: BASELINE_SAMPLE }, (_, k) =>
    makeSystem(Math.floor((k * SYSTEMS) / BASELINE_SAMPLE)),
  );
  t = process.hrtime.bigint();
  c = process.cpuUsage();
  const naive = sample.map((modules) => recipeDefs.map((defs) => naiveMatches(defs, modules)));
  const baselineSample = seconds(t);
  const baselineCpu = (cpuSeconds(c) * SYSTEMS) / BASELINE_SAMPLE;
  sample.forEach((modules, s) => {
    compiled.forEach((recipe, r) => {
      if (matchSystem(recipe, modules).matched !== naive[s]![r]) disagreements++;
    });
  });
  const baseline = (baselineSample * SYSTEMS) / BASELINE_SAMPLE;

  // a wider correctness check of the index and residuals: the unpruned evaluation on more systems
  const full = recipeDefs.map((defs) =>
    defs.map((d) => ({
      match: new Query(rewriteOperators(d.match, VERSIONS), { context: rewriteContext }),
      count: new Query(d.matchCount, { context: rewriteContext }),
    })),
  );
  let unprunedDisagreements = 0;
  let unprunedMatched = 0;
  let unprunedCpu = 0;
  for (let k = 0; k < UNPRUNED_SAMPLE; k++) {
    const modules = makeSystem(Math.floor((k * SYSTEMS) / UNPRUNED_SAMPLE));
    c = process.cpuUsage();
    const expected = full.map((defs) => unprunedMatches(defs, modules));
    unprunedCpu += cpuSeconds(c);
    expected.forEach((e, r) => {
      if (e) unprunedMatched++;
      if (matchSystem(compiled[r]!, modules).matched !== e) unprunedDisagreements++;
    });
  }
  const unprunedTotal = (unprunedCpu * SYSTEMS) / UNPRUNED_SAMPLE;
  disagreements += unprunedDisagreements;

  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const label = `match job ${SYSTEMS} systems x ${RECIPES} recipes`;
  console.log(
    `${label}: ours ${ours.toFixed(2)} s (${Math.round(SYSTEMS / ours)} systems/s), ` +
      `baseline ${baseline.toFixed(1)} s (naive, extrapolated from ${BASELINE_SAMPLE} systems), ` +
      `ratio ${(baseline / ours).toFixed(1)}x (target < ${TARGET_SECONDS} s: ${ours < TARGET_SECONDS ? 'met' : 'MISSED'})`,
  );
  console.log(
    `workload: ${modulesSeen} modules (${(modulesSeen / SYSTEMS).toFixed(1)} per system), ${pairs} matching (system, recipe) pairs, ` +
      `${systemsWithRecipe} systems with at least one recipe, ${atTarget} module assignments at target`,
  );
  console.log(
    `match job CPU time (robust on a loaded machine): ours ${matchCpu.toFixed(2)} s, baseline ${baselineCpu.toFixed(1)} s, ` +
      `ratio ${(baselineCpu / matchCpu).toFixed(1)}x (target < ${TARGET_SECONDS} s: ${matchCpu < TARGET_SECONDS ? 'met' : 'MISSED'})`,
  );
  console.log(
    `match job CPU time vs compiled-once but unpruned (every full query on every module, no reasons): ` +
      `ours ${matchCpu.toFixed(2)} s, baseline ${unprunedTotal.toFixed(1)} s (extrapolated from ${UNPRUNED_SAMPLE} systems), ` +
      `ratio ${(unprunedTotal / matchCpu).toFixed(1)}x`,
  );
  console.log(
    `agreement: naive on ${BASELINE_SAMPLE} systems, unpruned on ${UNPRUNED_SAMPLE} systems (${unprunedMatched} matching pairs): ` +
      `${disagreements === 0 ? 'all equal' : `${disagreements} DIFFER`}`,
  );
  console.log(
    `peak RSS: ${peakRssMb.toFixed(0)} MB; wall time of the whole run incl. data generation ${seconds(wallStart).toFixed(1)} s`,
  );
  if (disagreements > 0) process.exitCode = 1;
}

main();
