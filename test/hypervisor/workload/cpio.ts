// A newc cpio archive, as the kernel's initramfs unpacker reads it: enough for /dev, /dev/console and /init.

export interface CpioEntry {
  name: string;
  /** st_mode: type and permissions (0o040755 a directory, 0o020600 a character device, 0o100755 a program). */
  mode: number;
  data?: Uint8Array;
  /** Device numbers of a device node. */
  rdev?: readonly [number, number];
}

export function newcArchive(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    size += b.length;
  };
  const pad = () => {
    if (size % 4) push(new Uint8Array(4 - (size % 4)));
  };
  const all = [...entries, { name: "TRAILER!!!", mode: 0 }];
  all.forEach((e, i) => {
    const data = e.data ?? new Uint8Array(0);
    const hex = (n: number) => (n >>> 0).toString(16).padStart(8, "0");
    const fields = [i + 1, e.mode, 0, 0, e.mode & 0o040000 ? 2 : 1, 0, data.length, 0, 0, e.rdev?.[0] ?? 0, e.rdev?.[1] ?? 0, e.name.length + 1, 0];
    push(new TextEncoder().encode(`070701${fields.map(hex).join("")}${e.name}\0`));
    pad();
    push(data);
    pad();
  });
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
