// Expectations by backend name (the manifest's `backend`). A built-in backend registers its file here; any
// other backend (built from a file outside this tree, docs/backends.md) gets the common effect tests, with the
// hypervisor model its manifest names when it is paravirtual.

import type { Layout } from "../../src/layout/types.ts";
import type { Manifest } from "../../src/manifest/types.ts";
import { vmwareModel } from "../models/vmware.ts";
import { xenModel } from "../models/xen.ts";
import type { HypervisorModel } from "../traps.ts";
import { commonEffectTests } from "./effects/index.ts";
import { nativeExpectations } from "./native.ts";
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

/**
 * What the guest checks for a backend it has no file for: the effect tests every backend must pass (each
 * call leaves the machine as the bare instruction does), and, for a paravirtual backend, the hypervisor model
 * of the contract it speaks, which makes each hypercall's effect real. Calls no common test exercises are
 * reported, not failed: the guest cannot know what a backend's own calls should answer.
 */
export function commonExpectations(backend: string, hypervisor?: PlayedHypervisor): BackendExpectations {
  return {
    backend,
    tests: (layout: Layout) => (hypervisor ? commonEffectTests(layout).map(hypervisor.wrap) : commonEffectTests(layout)),
    untested: {},
    untestedIsFailure: false,
    ...(hypervisor ? { hypervisor: hypervisor.model } : {}),
    sharedAreaUntouched: hypervisor === undefined,
  };
}

/** The expectations for a ROM, from its manifest; undefined when it names a hypervisor the guest cannot play. */
export function expectationsFor(manifest: Pick<Manifest, "backend"> & { hypervisor?: string }): BackendExpectations | undefined {
  const own = EXPECTATIONS[manifest.backend];
  if (own) return own;
  if (manifest.hypervisor === undefined) return commonExpectations(manifest.backend);
  const model = HYPERVISOR_MODELS[manifest.hypervisor];
  return model ? commonExpectations(manifest.backend, model) : undefined;
}
