// Simulator configurations that reproduce the recorded peers (users, uids, rights) and the secrets that stand
// in for the placeholders of the capture files (`<KEY>`, `<PASSWORD:ADMIN>`, ...). Shared by the replay tests
// and by anyone who wants "the instance from the captures".
import { readFileSync } from 'node:fs';
import type { DolibarrConfig, DolibarrUser } from './dolibarr.ts';
import { RECORDED_ADMIN_RIGHTS } from './dolibarr.ts';
import { CAPTURES_DIR } from './http-capture.ts';
import type { OdooConfig, OdooModelRule } from './odoo.ts';
import { DEFAULT_ODOO_MODELS } from './odoo.ts';

/** Dolibarr capture slots (index.json `user`) and their keys. */
export const DOLIBARR_KEYS = {
  admin: '5f0c8e2a9b1d4c7e8a3f6b0d2e9c1a47',
  noRights: '9a7c3e1f5b2d8c4a6e0f1b3d5c7a9e21',
  readOnly: 'c2e4a6f8b0d1c3e5a7f9b1d3e5c7a9f0',
  disabled: '0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a',
} as const;

export type DolibarrSlot = keyof typeof DOLIBARR_KEYS;

export const DOLIBARR_READONLY_PASSWORD = 'readonly-Pa55word';

const READONLY_RIGHTS = ['societe.lire', 'societe.client.voir', 'fournisseur.lire'];

/** The four users of the recorded Dolibarr 20.0.2 peer (README table). */
export const DOLIBARR_RECORDED_USERS: DolibarrUser[] = [
  {
    id: 1,
    login: 'admin',
    apiKey: DOLIBARR_KEYS.admin,
    admin: true,
    entity: 0,
    lastname: 'SuperAdmin',
    firstname: '',
    rights: [...RECORDED_ADMIN_RIGHTS],
  },
  { id: 2, login: 'norights', apiKey: DOLIBARR_KEYS.noRights, rights: [] },
  {
    id: 3,
    login: 'readonly',
    apiKey: DOLIBARR_KEYS.readOnly,
    rights: READONLY_RIGHTS,
    password: DOLIBARR_READONLY_PASSWORD,
  },
  { id: 4, login: 'disableduser', apiKey: DOLIBARR_KEYS.disabled, enabled: false, rights: READONLY_RIGHTS },
];

export const dolibarrRecordedConfig = (overrides: Partial<DolibarrConfig> = {}): DolibarrConfig => ({
  users: DOLIBARR_RECORDED_USERS.map((u) => ({ ...u })),
  ...overrides,
});

/**
 * One ordinary Dolibarr user per key (`user0`, `user1`, ...), each allowed to read third parties: a key that
 * checks valid without admin rights, for tests that need several distinct working keys.
 */
export function dolibarrClerks(keys: readonly string[], firstname: string): DolibarrUser[] {
  return keys.map((apiKey, i) => ({
    id: i + 1,
    login: `user${i}`,
    apiKey,
    firstname,
    lastname: String(i),
    rights: ['user.self.creer', 'societe.lire'],
  }));
}

/** Placeholder → secret for one Dolibarr exchange (its `<KEY>` belongs to the exchange's user). */
export function dolibarrSecrets(slot: DolibarrSlot | null): Record<string, string> {
  return { '<KEY>': DOLIBARR_KEYS[slot ?? 'admin'], '<PASSWORD>': DOLIBARR_READONLY_PASSWORD };
}

/** Placeholder → secret for the Odoo captures (both series). */
export const ODOO_SECRETS: Record<string, string> = {
  '<PASSWORD:ADMIN>': 'admin-Pw-acme-1',
  '<PASSWORD:READER>': 'reader-Pw-acme-2',
  '<PASSWORD:PORTAL>': 'portal-Pw-acme-3',
  '<PASSWORD:ARCHIVED>': 'archived-Pw-acme-4',
  '<PASSWORD:TOTP>': 'totp-Pw-acme-5',
  '<PASSWORD:OTHER-DB-ADMIN>': 'admin-Pw-other-6',
  '<KEY:ADMIN>': '7d3f1a9c5e2b8d4f6a0c1e3b5d7f9a2c4e6b8d0f',
  '<KEY:READER>': 'a1c3e5f7b9d2a4c6e8f0b1d3a5c7e9f2b4d6a8c0',
  '<KEY:TOTP>': 'b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9',
  '<KEY:ARCHIVED>': 'c3e5a7b9d1f2c4e6a8b0d2f4c6e8a0b1d3f5c7e9',
  '<EXPIRED-KEY:READER>': 'd4f6b8c0e2a3d5f7b9c1e3a5d7f9b0c2e4a6d8f1',
};

/** Models of the `other` database: base only, so purchase.order and account.move are not installed. */
const BASE_ONLY_MODELS: Record<string, OdooModelRule> = Object.fromEntries(
  Object.entries(DEFAULT_ODOO_MODELS).filter(
    ([name]) => name !== 'purchase.order' && name !== 'account.move',
  ),
);

/** The recorded Odoo peer: databases `acme` (five users) and `other`; uids as in the series' captures. */
export function odooRecordedConfig(
  version: '18.0' | '19.0',
  overrides: Partial<OdooConfig> = {},
): OdooConfig {
  const s = ODOO_SECRETS;
  const uid =
    version === '18.0'
      ? { reader: 6, portal: 7, archived: 8, totp: 9 }
      : { reader: 5, portal: 6, archived: 7, totp: 8 };
  const secret = (name: string): string => s[name] ?? name;
  return {
    version,
    databases: {
      acme: {
        users: [
          {
            uid: 2,
            login: 'admin',
            password: secret('<PASSWORD:ADMIN>'),
            name: 'Administrator',
            kind: 'admin',
            apiKeys: [{ key: secret('<KEY:ADMIN>') }],
          },
          {
            uid: uid.reader,
            login: 'reader@example.com',
            password: secret('<PASSWORD:READER>'),
            name: 'Reader (internal, limited)',
            kind: 'internal',
            apiKeys: [
              { key: secret('<KEY:READER>') },
              { key: secret('<EXPIRED-KEY:READER>'), expired: true },
            ],
          },
          {
            uid: uid.portal,
            login: 'portal@example.com',
            password: secret('<PASSWORD:PORTAL>'),
            name: 'Portal User',
            kind: 'portal',
          },
          {
            uid: uid.archived,
            login: 'archived@example.com',
            password: secret('<PASSWORD:ARCHIVED>'),
            name: 'Archived User',
            kind: 'internal',
            active: false,
            apiKeys: [{ key: secret('<KEY:ARCHIVED>') }],
          },
          {
            uid: uid.totp,
            login: 'totp@example.com',
            password: secret('<PASSWORD:TOTP>'),
            name: 'TOTP User',
            kind: 'internal',
            totp: true,
            apiKeys: [{ key: secret('<KEY:TOTP>') }],
          },
        ],
      },
      other: {
        users: [
          {
            uid: 2,
            login: 'admin',
            password: secret('<PASSWORD:OTHER-DB-ADMIN>'),
            name: 'Administrator',
            kind: 'admin',
          },
        ],
        models: BASE_ONLY_MODELS,
      },
    },
    ...overrides,
  };
}

/** Exchange names in capture order, with the Dolibarr user slot where index.json names one. */
export function captureIndex(
  dir: 'dolibarr' | 'odoo-18.0' | 'odoo-19.0',
): Array<{ name: string; user: string | null }> {
  const raw = JSON.parse(readFileSync(`${CAPTURES_DIR}${dir}/index.json`, 'utf8')) as
    | Array<{ name: string }>
    | { exchanges: Array<{ name: string; user: string | null }> };
  const list = Array.isArray(raw) ? raw : raw.exchanges;
  return list.map((e) => ({ name: e.name, user: 'user' in e ? (e.user as string | null) : null }));
}
