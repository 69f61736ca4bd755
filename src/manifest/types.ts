// The build manifest (<rom>.json): what the builder says it laid out, as plain data.
// Written by the image machinery, read by the checker's --manifest rule and by reports.
// Shared here so that neither side imports the other. The types are those of the JSON format (schema.ts,
// imported for its types only).

import type * as z from "zod";
import type * as S from "./schema.ts";

export type Placement = z.output<typeof S.placementSchema>;
export type Region = z.output<typeof S.regionSchema>;
export type ManifestCall = z.output<typeof S.manifestCallSchema>;
export type Manifest = z.output<typeof S.manifestSchema>;
