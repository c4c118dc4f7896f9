import type { FieldSpec } from '../types.ts';

export const DOLIBARR_FIELDS: readonly FieldSpec[] = [
  {
    key: 'baseUrl',
    label: 'Dolibarr URL',
    help: 'The address you open Dolibarr at, e.g. https://erp.example.com (credval adds /api/index.php itself). The REST API module must be enabled under Home > Setup > Modules/Applications > "API REST (server)".',
    secret: false,
    required: true,
    format: 'url',
    placeholder: 'https://erp.example.com',
  },
  {
    key: 'apiKey',
    label: 'API key',
    help: 'Dolibarr calls it "Key for API" (DOLAPIKEY). An administrator sets it on the user card: Users & Groups > the user > Modify > "Key for API" (generate it with the button, then save). Prefer a dedicated user with only the rights the integration needs.',
    secret: true,
    required: true,
    format: 'text',
  },
  {
    key: 'entity',
    label: 'Entity',
    help: "Only with the Multicompany module: the number of the entity (company) to use (DOLAPIENTITY). Leave empty to use the key owner's own entity.",
    secret: false,
    required: false,
    format: 'integer',
  },
];

/** Paths users paste after the base URL: the API entry point, index.php, the admin or user pages. */
export const DOLIBARR_URL_SUFFIXES: readonly RegExp[] = [
  /\/api\/index\.php(\/.*)?$/i,
  /\/api\/?$/i,
  /\/(admin|user|societe|public)(\/.*)?$/i,
  /\/index\.php$/i,
];

/**
 * Where each Dolibarr API resource's read and write rights sit in the user's rights tree
 * (`/users/info?includepermissions=1`), as `module.subright` paths.
 */
export const DOLIBARR_RESOURCE_RIGHTS: Readonly<Record<string, { read: string; write: string }>> = {
  thirdparties: { read: 'societe.lire', write: 'societe.creer' },
  contacts: { read: 'societe.contact.lire', write: 'societe.contact.creer' },
  supplierorders: { read: 'fournisseur.commande.lire', write: 'fournisseur.commande.creer' },
  supplierinvoices: { read: 'fournisseur.facture.lire', write: 'fournisseur.facture.creer' },
  products: { read: 'produit.lire', write: 'produit.creer' },
  invoices: { read: 'facture.lire', write: 'facture.creer' },
  orders: { read: 'commande.lire', write: 'commande.creer' },
  proposals: { read: 'propal.lire', write: 'propal.creer' },
  projects: { read: 'projet.lire', write: 'projet.creer' },
  users: { read: 'user.user.lire', write: 'user.user.creer' },
};
