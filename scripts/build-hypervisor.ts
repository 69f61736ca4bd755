// npm run build-hypervisor: the reference hypervisor into build/hypervisor/ (vmirom-hv.elf, vmirom-hv.bin),
// with the contract header rendered from the api3 layout and the backends' contracts.
import { buildHypervisor } from "../hypervisor/build.ts";
import { hypervisorHeader } from "../src/cli/hypervisor-header.ts";

const out = process.argv[2] ?? "build/hypervisor";
const built = buildHypervisor(out, hypervisorHeader());
process.stdout.write(`wrote ${built.image} and ${built.elf}\n`);
