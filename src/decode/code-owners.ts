// Which call each piece of code belongs to, found by following it from the fixed areas (call slots, jump
// points): an out-of-line area's jump target is its call's body; code a `call` reaches is a routine; code an
// inline area jumps out to, and code the paths of several entries jump to, starts an entry of its own. Such an
// entry is a cold part of one call when only that call's code (its slot, body and cold parts) jumps to it, and
// a shared routine when it is called, named shared, or reached from several calls or from a routine. Each byte
// of code belongs to one entry: its extent stops where another entry starts.
// The one rule: the checker (src/check/bodies.ts) reports what breaks it, the readers (src/inspect/) list, draw
// and compare what it finds. Where they once differed, the real ROMs decided: a place several slots jump out
// to is shared (xen's XenMmuextOp, a tail of SetCR3 and four other slots; the checker called it SetCR3's), and
// a `call` to the next instruction stays in its body (call/pop, how GetRelocationInfo, Init and the presence
// probe find their address; the checker made the rest a routine, and a branch across it an overlap).

import type { AreaExit } from "./slot-form.ts";
import type { DecodedInstruction } from "./x86-decoder.ts";

/** Far more than any ROM has: bounds the work on a hostile image (the checker reports reaching either). */
export const MAX_ENTRIES = 4096;
export const MAX_EXTENT_STEPS = 1 << 21;

/** A call slot or jump point, as far as the code it leads to is concerned. */
export interface CodeArea {
  /** The call's name, or the jump point's role: whose body and cold parts the area leads to. */
  readonly name: string;
  readonly kind: "inline" | "outOfLine" | "absent" | "broken";
  /** Where an out-of-line area jumps to. */
  readonly target?: number | undefined;
  /** Where an inline area's code leaves it. */
  readonly exits: readonly AreaExit[];
}

/** body: an out-of-line area's target; cold: code of one call placed apart; shared: a routine. */
export type EntryKind = "body" | "cold" | "shared";

export interface CodeEntry<A extends CodeArea = CodeArea> {
  offset: number;
  kind: EntryKind;
  /** The area (call) a body or cold part belongs to. */
  area?: A;
  /** Areas whose own code (slot, body, cold parts) calls or jumps to the entry's start, in area order. */
  reachedBy: A[];
  /** Instructions reached from the entry without entering another entry (its extent), by offset. */
  instructions: Array<{ offset: number; length: number }>;
}

/** What becomes of an instruction on a path: code to follow, code where the path ends, or not code at all. */
export type Step = "follow" | "end" | "drop";

export interface FollowOptions<A extends CodeArea> {
  /** The image: code lies in [0, bytes.length). */
  bytes: Uint8Array;
  /** The layout's filler byte. */
  filler: number;
  /** Jump points and call slots, in the order their entries are made. */
  areas: readonly A[];
  /** Routines named elsewhere (a build manifest's shared list): entered at their start, never a call's cold part. */
  shared?: ReadonlyArray<{ offset: number; size: number }>;
  /** The instruction at an offset. */
  decode(offset: number): DecodedInstruction;
  /** Whether an out-of-line jump, area exit, branch or call may land on `target`: code inside the image, not data or a fixed area. */
  enterable(target: number): boolean;
  /** What becomes of an instruction on a path from `entry` (the caller says why a path ends or drops). */
  accept(ins: DecodedInstruction, entry: CodeEntry<A>): Step;
  /** An out-of-line area's target, before it becomes a body: false keeps it out (the caller says why); one `enterable` refuses stays out too. */
  body?(area: A, target: number): boolean;
  /** A second area jumping to the body of `first`. */
  bodyTaken?(area: A, first: A, target: number): void;
  /** A target `enterable` refused, of an area exit (`from` is an area) or of an instruction on a path from an entry. */
  refused?(target: number, at: number, flow: DecodedInstruction["flow"], from: { area: A } | { entry: CodeEntry<A> }): void;
  /** A path that runs past the image end without a terminator. */
  fellOff?(ins: DecodedInstruction, entry: CodeEntry<A>): void;
  /** The entry cap is reached: the entry that would start at `offset` (and every later one) is not followed. */
  entryLimit?(offset: number, kind: EntryKind, area: A | undefined): void;
}

export interface Overlap<A extends CodeArea> {
  first: CodeEntry<A>;
  second: CodeEntry<A>;
  at: number;
}

export interface FallThrough<A extends CodeArea> {
  entry: CodeEntry<A>;
  /** The instruction that falls into `into` without a terminator. */
  at: number;
  mnemonic: string;
  into: CodeEntry<A>;
}

export interface CodeOwners<A extends CodeArea> {
  /** In the order they were found: bodies, named routines, area exits, then what their code reaches. */
  entries: CodeEntry<A>[];
  /** An out-of-line area's body. */
  bodyOf: Map<A, CodeEntry<A>>;
  /** Every instruction the paths reached, by offset. */
  decoded: Map<number, DecodedInstruction>;
  /** Index (in `entries`) of the entry whose path first reached each byte, -1 for none. */
  firstReached: Int32Array;
  /** Two entries' extents running through the same bytes. */
  overlaps: Array<Overlap<A>>;
  /** An entry's code running into another entry without a terminator. */
  fallThroughs: Array<FallThrough<A>>;
  /** Where the extents stopped at MAX_EXTENT_STEPS. */
  limitAt?: { entry: CodeEntry<A>; at: number };
}

/**
 * Follows the code in two steps: `new CodeReach(options)` makes the entries the areas lead to and decodes every
 * path from them (the caller may look at `decoded` before going on); `settle()` gives each entry its extent and
 * its owner.
 */
export class CodeReach<A extends CodeArea> {
  readonly entries: CodeEntry<A>[] = [];
  readonly bodyOf = new Map<A, CodeEntry<A>>();
  readonly decoded = new Map<number, DecodedInstruction>();
  readonly firstReached: Int32Array;
  private readonly entryAt = new Map<number, CodeEntry<A>>();
  /** Entries a `call` lands on or the options name shared: routines whoever else reaches them. */
  private readonly routines = new Set<CodeEntry<A>>();
  private limited = false;

  constructor(private readonly o: FollowOptions<A>) {
    const size = o.bytes.length;
    this.firstReached = new Int32Array(size).fill(-1);
    for (const area of o.areas) {
      if (area.kind !== "outOfLine" || area.target === undefined) continue;
      const t = area.target;
      if ((o.body && !o.body(area, t)) || !o.enterable(t)) continue;
      const first = this.entryAt.get(t)?.area;
      if (first) {
        o.bodyTaken?.(area, first, t);
        continue;
      }
      const entry = this.add(t, "body", area);
      if (entry) this.bodyOf.set(area, entry);
    }
    // A named routine that starts with filler is a table of entries (a hypercall page), not code to enter.
    for (const r of o.shared ?? []) if (o.bytes[r.offset] !== o.filler && o.enterable(r.offset)) this.call(r.offset);
    for (const area of o.areas) {
      for (const exit of area.exits) {
        if (exit.flow === "call" && exit.target === exit.next) continue; // call/pop: the code goes on
        if (!o.enterable(exit.target)) o.refused?.(exit.target, exit.from, exit.flow, { area });
        else if (exit.flow === "call") this.call(exit.target);
        else this.add(exit.target, "cold", area);
      }
    }
    this.explore();
  }

  /** Extents (a place several entries jump to becomes an entry of its own), then owners. */
  settle(): CodeOwners<A> {
    let result = this.extents();
    for (let round = 0; round < 4 && result.jumpedBySeveral.length > 0 && !result.limitAt; round++) {
      const before = this.entries.length;
      for (const t of result.jumpedBySeveral) this.add(t, "shared", undefined);
      if (this.entries.length === before) break;
      result = this.extents();
    }
    this.assignOwners();
    const { overlaps, fallThroughs, limitAt } = result;
    return {
      entries: this.entries,
      bodyOf: this.bodyOf,
      decoded: this.decoded,
      firstReached: this.firstReached,
      overlaps,
      fallThroughs,
      ...(limitAt ? { limitAt } : {}),
    };
  }

  private add(offset: number, kind: EntryKind, area: A | undefined): CodeEntry<A> | undefined {
    const existing = this.entryAt.get(offset);
    if (existing) return existing;
    if (this.entries.length >= MAX_ENTRIES) {
      if (!this.limited) this.o.entryLimit?.(offset, kind, area);
      this.limited = true;
      return undefined;
    }
    const entry: CodeEntry<A> = { offset, kind, ...(area ? { area } : {}), reachedBy: [], instructions: [] };
    this.entries.push(entry);
    this.entryAt.set(offset, entry);
    return entry;
  }

  private call(offset: number): void {
    const entry = this.add(offset, "shared", undefined);
    if (entry && entry.kind !== "body") this.routines.add(entry);
  }

  /** Decodes every path from every entry, each byte once; a call's target becomes an entry. */
  private explore(): void {
    const o = this.o;
    const size = o.bytes.length;
    // A call's target found on the way is appended to the entries, and explored in its turn.
    for (const [e, entry] of this.entries.entries()) {
      const stack = [entry.offset];
      for (let off = stack.pop(); off !== undefined; off = stack.pop()) {
        if (off < 0 || off >= size || this.firstReached[off] !== -1) continue;
        this.firstReached[off] = e;
        const ins = o.decode(off);
        const step = o.accept(ins, entry);
        if (step === "drop") continue;
        this.decoded.set(off, ins);
        if (step === "end") continue;
        const next = off + ins.length;
        if (ins.target !== undefined) {
          if (!o.enterable(ins.target)) o.refused?.(ins.target, off, ins.flow, { entry });
          else if (ins.flow !== "call") stack.push(ins.target);
          else if (ins.target !== next) this.call(ins.target); // call/pop finds the code's address: same body
        }
        if (!ins.terminator) {
          if (next >= size) o.fellOff?.(ins, entry);
          else stack.push(next);
        }
      }
    }
  }

  /** Each entry's extent, stopping at other entries; places several entries jump to are collected. */
  private extents(): Omit<CodeOwners<A>, "entries" | "bodyOf" | "decoded" | "firstReached"> & { jumpedBySeveral: number[] } {
    const size = this.o.bytes.length;
    const { entries, entryAt, decoded } = this;
    const result: ReturnType<CodeReach<A>["extents"]> = { overlaps: [], fallThroughs: [], jumpedBySeveral: [] };
    const owner = new Int32Array(size).fill(-1);
    const pairs = new Set<string>();
    const jumpedFrom = new Map<number, Set<number>>();
    let steps = 0;
    for (const [e, entry] of entries.entries()) {
      entry.instructions = [];
      const seen = new Set<number>();
      const stack = [entry.offset];
      for (let off = stack.pop(); off !== undefined; off = stack.pop()) {
        if (seen.has(off)) continue;
        if (off !== entry.offset && entryAt.has(off)) continue; // tail jump or fall-through into another entry
        const ins = decoded.get(off);
        if (!ins) continue;
        seen.add(off);
        if (++steps > MAX_EXTENT_STEPS) {
          result.limitAt = { entry, at: off };
          return result;
        }
        entry.instructions.push({ offset: off, length: ins.length });
        for (let k = off; k < off + ins.length && k < size; k++) {
          const o = owner[k]!; // k < size, owner's length
          if (o === -1) owner[k] = e;
          else if (o !== e) {
            const key = `${Math.min(o, e)}:${Math.max(o, e)}`;
            if (!pairs.has(key)) {
              pairs.add(key);
              result.overlaps.push({ first: entries[o]!, second: entry, at: k }); // o: an earlier entry's index
            }
          }
        }
        if (ins.target !== undefined && ins.flow !== "call") {
          stack.push(ins.target);
          if (!entryAt.has(ins.target) && decoded.has(ins.target)) {
            const from = jumpedFrom.get(ins.target) ?? new Set<number>();
            from.add(e);
            jumpedFrom.set(ins.target, from);
          }
        }
        if (!ins.terminator) {
          const next = off + ins.length;
          // Jumping to another entry is a tail call; silently running into one is a missing terminator.
          const into = entryAt.get(next);
          if (ins.flow !== "call" && next !== entry.offset && into) result.fallThroughs.push({ entry, at: off, mnemonic: ins.mnemonic.toLowerCase(), into });
          stack.push(next);
        }
      }
      entry.instructions.sort((a, b) => a.offset - b.offset);
    }
    for (const [target, from] of jumpedFrom) if (from.size > 1) result.jumpedBySeveral.push(target);
    return result;
  }

  /**
   * A body is its area's; a routine (called, or inside a region named shared) is shared; any other entry is
   * the cold part of the one call whose code jumps to it, or shared when the jumps come from several calls or
   * from a routine. An owner only moves from unknown to one call to shared, so a work list reaches the fixed point.
   */
  private assignOwners(): void {
    const { entries, entryAt, decoded } = this;
    const named = this.o.shared ?? [];
    for (const e of entries) if (e.kind !== "body" && named.some((r) => e.offset >= r.offset && e.offset < r.offset + r.size)) this.routines.add(e);
    // Per entry: the areas and entries whose code jumps to it (not calls), those that call it, where it jumps,
    // and its owner so far (undefined: not known yet; null: shared).
    interface Links {
      jumpAreas: A[];
      jumpEntries: CodeEntry<A>[];
      callAreas: A[];
      callEntries: CodeEntry<A>[];
      jumpsTo: CodeEntry<A>[];
      owner: A | null | undefined;
    }
    const links = new Map<CodeEntry<A>, Links>();
    for (const e of entries) {
      const owner = e.kind === "body" ? e.area : this.routines.has(e) ? null : undefined;
      links.set(e, { jumpAreas: [], jumpEntries: [], callAreas: [], callEntries: [], jumpsTo: [], owner });
    }
    const of = (e: CodeEntry<A>): Links => {
      const l = links.get(e);
      if (!l) throw new Error(`code entry at ${e.offset} is not one of the entries`);
      return l;
    };
    for (const [area, body] of this.bodyOf) of(body).jumpAreas.push(area);
    for (const area of this.o.areas) {
      for (const x of area.exits) {
        const to = entryAt.get(x.target);
        if (to) (x.flow === "call" ? of(to).callAreas : of(to).jumpAreas).push(area);
      }
    }
    for (const from of entries) {
      for (const i of from.instructions) {
        const ins = decoded.get(i.offset);
        const to = ins?.target === undefined ? undefined : entryAt.get(ins.target);
        if (!ins || !to || to === from) continue;
        if (ins.flow === "call") of(to).callEntries.push(from);
        else {
          of(to).jumpEntries.push(from);
          of(from).jumpsTo.push(to);
        }
      }
    }
    const settled = (e: CodeEntry<A>) => e.kind === "body" || this.routines.has(e);
    const work = entries.filter((e) => !settled(e));
    for (let e = work.pop(); e !== undefined; e = work.pop()) {
      const l = of(e);
      let found: A | null | undefined;
      const meet = (w: A | null | undefined): void => {
        if (w !== undefined) found = found === undefined || found === w ? w : null;
      };
      for (const a of l.jumpAreas) meet(a);
      for (const j of l.jumpEntries) meet(of(j).owner);
      if (found === l.owner) continue;
      l.owner = found;
      for (const t of l.jumpsTo) if (!settled(t)) work.push(t);
    }
    for (const e of entries) {
      const l = of(e);
      const w = l.owner;
      if (e.kind !== "body") {
        // Nothing of a call's jumps to it (a routine, or only reached past the entry cap): shared.
        e.kind = w ? "cold" : "shared";
        if (w) e.area = w;
        else delete e.area;
      }
      const by = new Set<A>([...l.jumpAreas, ...l.callAreas]);
      for (const f of [...l.jumpEntries, ...l.callEntries]) {
        const o = of(f).owner;
        if (o) by.add(o);
      }
      e.reachedBy = this.o.areas.filter((a) => by.has(a)); // in area order
    }
  }
}

/** Both steps at once, for a caller that has nothing to look at in between. */
export function followCode<A extends CodeArea>(options: FollowOptions<A>): CodeOwners<A> {
  return new CodeReach(options).settle();
}
