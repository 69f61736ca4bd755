// The built-in backends' names, for the grammar's help and for refusing them to a backend file, without loading
// the registry (roms/index.ts, every ROM program); test/cli/inputs.test.ts checks this list is the registry's.
export const BACKEND_NAMES = ["native", "vmware", "xen"] as const;
