// The PCI data structure ("PCIR") and the PnP expansion header ("$PnP") at the layout's offsets. The
// image length (PCIR +0x10) and the $PnP checksum (+9) are recorded as 0 and patched once the image size
// is known (finish.ts).

import type { Assembler, Label } from "../asm/index.ts";
import type { Layout } from "../layout/types.ts";
import type { FixedItem } from "./fixed.ts";

export const PCIR_SIZE = 0x18;
export const PNP_SIZE = 0x20;
export const PCIR_IMAGE_LENGTH = 0x10;
export const PNP_CHECKSUM = 0x09;
const LAST_IMAGE = 0x80;

export function pciItem(layout: Layout, label: Label): FixedItem {
  const p = layout.pci;
  return {
    what: "PCIR",
    offset: p.offset,
    size: PCIR_SIZE,
    padding: 0,
    emit: (a: Assembler) => {
      a.label(label);
      a.ascii("PCIR");
      a.dw(p.vendor, p.device, 0 /* no VPD */, PCIR_SIZE);
      a.db(p.revision, ...p.classCode);
      a.dw(0 /* image length, patched */, p.codeRevision);
      a.db(0 /* x86 PC-AT */, LAST_IMAGE);
      a.dw(0);
    },
  };
}

export interface PnpStrings {
  manufacturer: Label;
  product: Label;
}

export function pnpItem(layout: Layout, label: Label, strings: PnpStrings): FixedItem {
  const p = layout.pnp;
  return {
    what: "$PnP header",
    offset: p.offset,
    size: PNP_SIZE,
    padding: 0,
    emit: (a: Assembler) => {
      a.label(label);
      a.ascii("$PnP");
      a.db(1 /* revision */, PNP_SIZE / 16);
      a.dw(0); // no next header
      a.db(0 /* reserved */, 0 /* checksum, patched */);
      a.dd(p.deviceId >>> 0);
      a.dw(strings.manufacturer, strings.product);
      a.db(...p.deviceType, p.indicators);
      a.dw(0, 0, 0, 0, 0); // BCV, DV, BEV, reserved, static resource vector
    },
  };
}

/** The product string with the backend's name in place of `{backend}`. */
export function productString(layout: Layout, backend: string): string {
  return layout.pnp.product.split("{backend}").join(backend);
}
