// Every builder error is one diagnostic naming the call, the sizes and the offsets.

import { describe, expect, it } from "vitest";
import { native } from "../../roms/native/index.ts";
import { routine } from "../../roms/shared/bodies.ts";
import { buildImage } from "../../src/image/index.ts";
import { MAX_BODY_SIZE } from "../../src/image/plan.ts";
import type { Layout } from "../../src/layout/types.ts";
import { bodyOfSize, type initReturnsZero, layoutNamed, program } from "./helpers.ts";

const api3 = layoutNamed("api3");
const api13 = layoutNamed("api13");

function errorsOf(r: ReturnType<typeof buildImage>) {
  if (r.ok) throw new Error("expected the build to fail");
  return r.errors;
}

describe("builder errors", () => {
  it("a body over the hard limit", () => {
    const errors = errorsOf(buildImage(program({ CPUID: bodyOfSize(MAX_BODY_SIZE + 1) }), api3));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "IMAGE_BODY_TOO_LARGE", location: { call: "CPUID", offset: 0xa0 } });
    expect(errors[0]!.message).toContain("call 0 CPUID");
    expect(errors[0]!.message).toContain(`${MAX_BODY_SIZE + 1} bytes`);
    expect(errors[0]!.message).toContain(`${MAX_BODY_SIZE}-byte limit`);
    expect(errors[0]!.message).toContain("0xa0");
  });

  it("a body exactly at the hard limit is accepted", () => {
    expect(buildImage(program({ CPUID: bodyOfSize(MAX_BODY_SIZE) }), api3).ok).toBe(true);
  });

  it("an image larger than the layout allows names the size, the limit and the largest bodies", () => {
    // Slots end at 0x9e0; 5 blocks pass the layout rules but not three 1000-byte bodies.
    const small: Layout = { ...api3, maxImageSize: 5 * 512 };
    const errors = errorsOf(buildImage(program({ CPUID: bodyOfSize(1000), WRMSR: bodyOfSize(600), RDMSR: bodyOfSize(900) }), small));
    expect(errors).toHaveLength(1);
    const e = errors[0]!;
    expect(e.code).toBe("IMAGE_TOO_LARGE");
    expect(e.message).toMatch(/needs (\d+) bytes/);
    expect(Number(/needs (\d+) bytes/.exec(e.message)![1]) % 512).toBe(0);
    expect(e.message).toContain("at most 2560");
    expect(e.message).toMatch(/CPUID 1000 bytes at 0x[0-9a-f]+, RDMSR 900 bytes at 0x[0-9a-f]+, WRMSR 600 bytes at 0x[0-9a-f]+/);
    expect(e.location.call).toBe("CPUID");
  });

  it("a call left out where the layout does not allow NONE (every api13 call)", () => {
    const { SwapPxE: _dropped, ...calls } = native.calls;
    const errors = errorsOf(buildImage({ ...native, calls }, api13));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "IMAGE_NONE_NOT_ALLOWED", location: { call: "SwapPxE", offset: 0x5e0 } });
    expect(errors[0]!.message).toContain("call 47 SwapPxE");
    expect(errors[0]!.message).toContain("allowed: CALL_REL");
    expect(errors[0]!.message).toContain("0x5e0");
  });

  it("a body that grows past its slot once placed (alignment inside it depends on the position)", () => {
    // Alone (at offset 0) align(64) adds nothing and the body is 1 byte; in CPUID's slot at 0xa0 it adds 32.
    const errors = errorsOf(
      buildImage(
        program({
          CPUID: (a) => {
            a.align(64, 0x90);
            a.ret();
          },
        }),
        api3,
      ),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "IMAGE_SLOT_OVERFLOW", location: { call: "CPUID", offset: 0xa0 } });
    expect(errors[0]!.message).toContain("32-byte area at 0xa0");
    expect(errors[0]!.message).toContain("measured 1 bytes");
  });

  it("structures at overlapping offsets", () => {
    const bad: Layout = { ...api3, pnp: { ...api3.pnp, offset: 0x30 } }; // PCIR is 0x20..0x38
    const errors = errorsOf(buildImage(native, bad));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe("IMAGE_OVERLAP");
    expect(errors[0]!.message).toBe("$PnP header at 0x30 (32 bytes) overlaps PCIR at 0x20..0x38");
  });

  it("a jump point too small for jmp rel32 + ud2 when Init does not fit in it", () => {
    const tiny: Layout = { ...api3, jumpPoints: api3.jumpPoints.map((j) => (j.role === "init" ? { ...j, size: 4 } : j)) };
    const errors = errorsOf(buildImage(program({}, { init: bodyOfSize(5) }), tiny));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "IMAGE_ENTRY_TOO_SMALL", location: { call: "Init", offset: 0x80 } });
    expect(errors[0]!.message).toContain("5 bytes");
  });

  it("an assembler error inside a body is located at its call", () => {
    const errors = errorsOf(buildImage(program({ RDTSC: (a) => a.jmp(a.newLabel("nowhere")) }), api3));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "ASM_UNDEFINED_LABEL", location: { call: "RDTSC" } });
    expect(errors[0]!.message).toBe("in slot 27 RDTSC: label 'nowhere' is used but never defined");
  });

  it("an empty body", () => {
    const errors = errorsOf(buildImage(program({ CLTS: () => undefined }), api3));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "IMAGE_EMPTY_BODY", location: { call: "CLTS" } });
  });

  it("a body that throws is one diagnostic at its call, not an exception", () => {
    const errors = errorsOf(
      buildImage(
        program({
          CLTS: () => {
            throw new Error("no such register");
          },
        }),
        api3,
      ),
    );
    expect(errors[0]).toMatchObject({ code: "IMAGE_BODY_THREW", location: { call: "CLTS" } });
    expect(errors[0]!.message).toContain("no such register");
  });

  it("a body calling a shared routine its program does not carry names the routine", () => {
    const errors = errorsOf(buildImage(program({ CLTS: (a, ctx) => a.call(routine(ctx, "VMIFlush")) }), api3));
    expect(errors).toEqual([expect.objectContaining({ code: "IMAGE_BODY_THREW", location: expect.objectContaining({ call: "CLTS" }) })]);
    expect(errors[0]!.message).toContain("the program carries no shared routine VMIFlush");
  });

  it("a shared routine with a reserved or duplicate name", () => {
    const ret = (a: Parameters<typeof initReturnsZero>[0]) => a.ret();
    const reserved = errorsOf(buildImage(program({}, { shared: [{ name: "stub_CPUID", emit: ret }] }), api3));
    expect(reserved[0]).toMatchObject({ code: "IMAGE_SHARED_NAME", location: { label: "stub_CPUID" } });
    const twice = errorsOf(
      buildImage(
        program(
          {},
          {
            shared: [
              { name: "Helper", emit: ret },
              { name: "Helper", emit: ret },
            ],
          },
        ),
        api3,
      ),
    );
    expect(twice[0]).toMatchObject({ code: "IMAGE_SHARED_NAME", location: { label: "Helper" } });
  });

  it("a layout without exactly one entry per role (hand-built: the layout checks would refuse it)", () => {
    const noInit: Layout = { ...api3, jumpPoints: api3.jumpPoints.filter((j) => j.role !== "init") };
    const errors = errorsOf(buildImage(program({}), noInit));
    expect(errors).toEqual([expect.objectContaining({ code: "IMAGE_LAYOUT", location: { path: "jumpPoints" } })]);
  });

  it("an implemented call whose layout allows no relocation type (hand-built: the layout checks would refuse it)", () => {
    const noRelocs: Layout = { ...api3, calls: api3.calls.map((c) => (c.name === "CPUID" ? { ...c, relocs: [] } : c)) };
    const errors = errorsOf(buildImage(native, noRelocs));
    expect(errors).toEqual([expect.objectContaining({ code: "LAYOUT_EMPTY_RELOCS", location: { call: "CPUID", offset: 0xa0 } })]);
    expect(errors[0]!.message).toContain("call 0 CPUID allows no relocation type");
  });
});
