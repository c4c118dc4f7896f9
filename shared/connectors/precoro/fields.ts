import type { FieldSpec } from '../types.ts';

export const PRECORO_REGIONS = ['com', 'us'] as const;

/** API hosts per region (README "What each check does"): app.precoro.us customers live on the US server. */
export const PRECORO_HOSTS: Readonly<Record<(typeof PRECORO_REGIONS)[number], string>> = {
  com: 'https://api.precoro.com',
  us: 'https://api.precoro.us',
};

/** How people know the regions: by the address they sign in at. */
export const PRECORO_REGION_LABELS: Readonly<Record<(typeof PRECORO_REGIONS)[number], string>> = {
  com: 'International (app.precoro.com)',
  us: 'United States (app.precoro.us)',
};

export const PRECORO_FIELDS: readonly FieldSpec[] = [
  {
    key: 'apiToken',
    label: 'API token',
    help: 'Precoro calls it "API Key" (sent as X-AUTH-TOKEN). Generate it in Precoro under Configuration > Integrations > API Key (app.precoro.com/manage/user/apitokens); it is shown once and belongs to one user and one company.',
    secret: true,
    required: true,
    format: 'text',
  },
  {
    key: 'email',
    label: 'User e-mail',
    help: 'The e-mail of the Precoro user who generated the token (sent as the "email" header). Its roles and location access decide what the integration can see.',
    secret: false,
    required: true,
    format: 'email',
  },
  {
    key: 'region',
    label: 'Region',
    help: '"com" if you sign in at app.precoro.com (international), "us" if you sign in at app.precoro.us (US server).',
    secret: false,
    required: false,
    format: 'enum',
    enum: PRECORO_REGIONS,
    enumLabels: PRECORO_REGION_LABELS,
    default: 'com',
  },
  {
    key: 'apiUrl',
    label: 'API URL (advanced)',
    help: 'Only for proxies and tests: overrides the regional API host.',
    secret: false,
    required: false,
    format: 'url',
  },
];

/** Maps what people type for the region ("US", "app.precoro.us", a URL) to `com` or `us`. */
export function normalizePrecoroRegion(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim().toLowerCase();
  if (text === '') return undefined;
  if (/(^|\.|\/)us\/?$|precoro\.us/.test(text) || text === 'us') return 'us';
  if (/(^|\.|\/)com\/?$|precoro\.com|^international$/.test(text) || text === 'com') return 'com';
  return value;
}
