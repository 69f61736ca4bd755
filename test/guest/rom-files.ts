// The ROMs the guest tests boot: every <name>.rom with its <name>.json manifest in build/roms, and
// modified copies of them for the negative cases (checksum fixed so that SeaBIOS still maps them).

import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Manifest, ManifestCall } from "../../src/manifest/types.ts";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const ROM_DIR = join(REPO, "build/roms");

export function listRoms(dir = ROM_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".rom") && existsSync(join(dir, f.replace(/\.rom$/, ".json"))))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * The built ROMs. `npm run build-rom` makes them; when the directory has none (a bare `vitest run`),
 * they are built here the same way, so the tests never pass by finding nothing to boot.
 */
export function ensureRoms(): string[] {
  const found = listRoms();
  if (found.length) return found;
  const bundled = join(REPO, "dist/vmirom.mjs");
  const cmd = existsSync(bundled) ? [process.execPath, bundled] : ["npx", "tsx", join(REPO, "src/cli/main.ts")];
  const r = spawnSync(cmd[0]!, [...cmd.slice(1), "build", "--all", "--out", ROM_DIR], { cwd: REPO, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`no ROMs in ${ROM_DIR} and building them failed:\n${r.stdout}${r.stderr}`);
  return listRoms();
}

export function readManifestOf(rom: string): Manifest {
  return JSON.parse(readFileSync(rom.replace(/\.rom$/, ".json"), "utf8")) as Manifest;
}

export function callOf(m: Manifest, name: string): ManifestCall {
  const c = m.calls.find((x) => x.name === name);
  if (!c) throw new Error(`${m.backend}-${m.layout} has no call ${name}`);
  return c;
}

/** Makes the bytes sum to 0 mod 256 by adjusting the last byte (where the builder keeps the checksum). */
export function fixChecksum(bytes: Uint8Array): void {
  let sum = 0;
  for (let i = 0; i < bytes.length - 1; i++) sum += bytes[i]!;
  bytes[bytes.length - 1] = (256 - (sum & 0xff)) & 0xff;
}

/**
 * Copies `rom` and its manifest into `dir` as `<name>.rom/.json`, applying `mutate` to the bytes (and
 * `mutateManifest` to the manifest, for a build that would say the same as the modified bytes).
 */
export function mutatedCopy(
  rom: string,
  dir: string,
  name: string,
  mutate: (bytes: Uint8Array, m: Manifest) => void,
  mutateManifest?: (m: Manifest) => void,
): string {
  const bytes = new Uint8Array(readFileSync(rom));
  const manifest = readManifestOf(rom);
  mutate(bytes, manifest);
  fixChecksum(bytes);
  const out = join(dir, `${name}.rom`);
  writeFileSync(out, bytes);
  if (mutateManifest) {
    mutateManifest(manifest);
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(manifest, null, 2));
  } else copyFileSync(rom.replace(/\.rom$/, ".json"), join(dir, `${name}.json`));
  return out;
}

export const romName = (rom: string): string => basename(rom, ".rom");
