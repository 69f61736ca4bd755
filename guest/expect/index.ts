// Expectations by backend name (the manifest's `backend`). A built-in backend registers its file here; any
// other backend (built from a file outside this tree, docs/backends.md) gets the tests its file exports
// (`vmirom run --backend FILE`) or else the common effect tests, with the hypervisor model its manifest names
// when it is paravirtual.

import type { Layout } from "../../src/layout/types.ts";
import type { Manifest } from "../../src/manifest/types.ts";
import { vmwareModel } from "../models/vmware.ts";
import { xenModel } from "../models/xen.ts";
import type { HypervisorModel } from "../traps.ts";
import { commonEffectTests } from "./effects/index.ts";
import { nativeExpectations } from "./native.ts";
import type { GuestTests } from "../api.ts";
import type { BackendExpectations, CallTest } from "./types.ts";
import { drained, vmwareExpectations } from "./vmware.ts";
import { xenExpectations } from "./xen.ts";

export const EXPECTATIONS: Readonly<Record<string, BackendExpectations>> = {
  native: nativeExpectations,
  vmware: vmwareExpectations,
  xen: xenExpectations,
};

export interface PlayedHypervisor {
  model: HypervisorModel;
  /** What each effect test needs around it under this model (vmware: the queue applied before its cleanup). */
  wrap(test: CallTest): CallTest;
}

/** The hypervisor models the guest can play, by the name a program's `hypervisor` (and its manifest) gives. */
export const HYPERVISOR_MODELS: Readonly<Record<string, PlayedHypervisor>> = {
  vmware: { model: vmwareModel, wrap: drained },
  xen: { model: xenModel, wrap: (t) => t },
};

/** A backend file's GuestTests as loaded: what its `tests` returns is checked here (checkedTests). */
export type UncheckedTests = Omit<GuestTests, "tests"> & { tests(layout: Layout): unknown };

/**
 * What the guest checks for a backend built from a file (docs/backends.md): `own`, the tests its file exports as
 * `guestTests` (`vmirom run --backend FILE`), or else the common effect tests every backend must pass (each call
 * leaves the machine as the bare instruction does); for a paravirtual backend, under the hypervisor model of the
 * contract it speaks, which makes each hypercall's effect real. Every test is wrapped as that model needs (the
 * author cannot reach the model). Calls no passing test exercised fail only when `own.untested` names the ones
 * left untested on purpose; otherwise they are reported: the guest cannot know what a backend's own calls
 * should answer.
 */
export function fileBackendExpectations(backend: string, own: UncheckedTests, hypervisor?: PlayedHypervisor): BackendExpectations {
  return {
    backend,
    tests: (layout: Layout) => {
      const tests = checkedTests(own.tests(layout), layout);
      return hypervisor ? tests.map(hypervisor.wrap) : tests;
    },
    untested: own.untested ?? {},
    untestedIsFailure: own.untested !== undefined,
    ...(hypervisor ? { hypervisor: hypervisor.model } : {}),
    sharedAreaUntouched: hypervisor === undefined,
  };
}

/** The common effect tests alone: a backend built from a file, run without its own tests. */
export function commonExpectations(backend: string, hypervisor?: PlayedHypervisor): BackendExpectations {
  return fileBackendExpectations(backend, { tests: commonEffectTests }, hypervisor);
}

/**
 * The expectations for a ROM, from its manifest: `own` when given (a backend file's guestTests), else the
 * registered file of a built-in backend, else the common effect tests; undefined when the manifest names a
 * hypervisor the guest cannot play.
 */
export function expectationsFor(manifest: Pick<Manifest, "backend"> & { hypervisor?: string }, own?: UncheckedTests): BackendExpectations | undefined {
  const registered = own ? undefined : EXPECTATIONS[manifest.backend];
  if (registered) return registered;
  const model = manifest.hypervisor === undefined ? undefined : HYPERVISOR_MODELS[manifest.hypervisor];
  if (manifest.hypervisor !== undefined && !model) return undefined;
  return own ? fileBackendExpectations(manifest.backend, own, model) : commonExpectations(manifest.backend, model);
}

/**
 * A backend file's tests, checked field by field (it may return anything): an error names the interface, the
 * test's place and the wrong field, and the guest reports it as GUEST_TEST_DEFINITION.
 */
function checkedTests(value: unknown, layout: Layout): CallTest[] {
  const where = `guestTests.tests(${layout.name})`;
  if (!Array.isArray(value)) throw new Error(`${where} returned ${value === null ? "null" : typeof value}, not a list of CallTests`);
  return value.map((t: unknown, i) => {
    const at = `${where}[${i}]`;
    if (typeof t !== "object" || t === null) throw new Error(`${at} is ${t === null ? "null" : typeof t}, not a CallTest`);
    const x = t as Record<string, unknown>;
    const named = typeof x.name === "string" ? `${at} (${x.name})` : at;
    const problems: string[] = [];
    if (typeof x.name !== "string" || x.name === "" || /\s/.test(x.name))
      problems.push("name is not a non-empty string without spaces (it goes into the PASS and FAIL lines)");
    if (!Array.isArray(x.calls) || !x.calls.every((c) => typeof c === "string")) problems.push("calls is not a list of call names");
    if (typeof x.emit !== "function") problems.push("emit is not a function");
    if (x.cleanup !== undefined && typeof x.cleanup !== "function") problems.push("cleanup is not a function");
    if (x.logMarkers !== undefined && !(Array.isArray(x.logMarkers) && x.logMarkers.every((m) => typeof m === "string")))
      problems.push("logMarkers is not a list of strings");
    if (problems.length) throw new Error(`${named}: ${problems.join("; ")}`);
    return t as CallTest;
  });
}
