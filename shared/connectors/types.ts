import type { Identity, Permission, Reason, Requirement, Verdict, Warning } from '../domain/report.ts';
import type * as z from '../domain/zod.ts';
import type { GuardedClient } from '../net/types.ts';
import type { PrecoroLedger } from './precoro/request-ledger.ts';
import type { ProbeRecorder } from './probe-recorder.ts';

/** One input of a connector's "Add credential" form. */
export interface FieldSpec {
  key: string;
  label: string;
  /** What the vendor calls it and where in the vendor's UI the user finds or generates it. */
  help: string;
  secret: boolean;
  required: boolean;
  format: 'url' | 'text' | 'email' | 'enum' | 'integer';
  enum?: readonly string[];
  /** What a person sees for each enum value (the value itself is what the API takes). */
  enumLabels?: Readonly<Record<string, string>>;
  default?: string;
  placeholder?: string;
}

/** How a form or a terminal names one key of `report.vendor`, and its coded values. */
export interface VendorFactSpec {
  label: string;
  values?: Readonly<Record<string, string>>;
}

/** Field values after normalisation: every value a trimmed string. */
export type FieldValues = Record<string, string>;

export interface NormalizeResult {
  fields: Record<string, unknown>;
  warnings: Warning[];
}

/** What a probe decided; the check runner adds traces, timing and the secret scrub. */
export interface ProbeFinding {
  verdict: Verdict;
  reason: Reason | null;
  message: string;
  field: string | null;
  retryable: boolean;
  retryAfterSeconds: number | null;
  identity: Identity | null;
  vendor: Record<string, string | number | boolean | null>;
  permissions: Permission[];
  warnings: Warning[];
}

/** Everything a probe may use; nothing else reaches the network. */
export interface ProbeContext {
  client: GuardedClient;
  requirements: Requirement[];
  recorder: ProbeRecorder;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Precoro's per-account pacing and duplicate-GET memory; the process-wide one unless a test brings its own. */
  precoroLedger?: PrecoroLedger;
}

export interface Connector {
  id: string;
  label: string;
  /** One line about the vendor and where its API lives. */
  description: string;
  fields: readonly FieldSpec[];
  /** Zod schema of the normalised fields: the source of the JSON Schema in the catalogue. */
  schema: z.ZodMiniType<FieldValues>;
  /** Labels for what the probe reports under `report.vendor`, by key. */
  vendorFacts: Readonly<Record<string, VendorFactSpec>>;
  /** Resources reported in `permissions` when a check names no requirements. */
  defaultResources: readonly string[];
  /** The most distinct resources one check may ask about: what the vendor's pace allows within the deadline. */
  maxRequirements: number;
  normalize(input: Record<string, unknown>): NormalizeResult;
  probe(fields: FieldValues, ctx: ProbeContext): Promise<ProbeFinding>;
}
