// "vmirom/check": the independent checker (bytes + layout [+ manifest] → violations).
export * from "../check/index.ts";
