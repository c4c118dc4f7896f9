// The layer rules of docs/architecture.md, enforced by `npm run lint` (dependency-cruiser). Each rule names the
// layer it protects; test/unit/layers.test.ts shows every rule failing on a deliberate violation.
const AWS_SDK = '^(@aws-sdk|@smithy)/';
const OUTBOUND = '^(undici|xmlrpc)($|/)';

/** Data modules: what infra/ may import from shared/ (and what they may import themselves). */
const DATA_MODULES = [
  '^shared/domain/(durations|table-layout|event-names|secret-context|identifiers)\\.ts$',
  '^shared/http/routes\\.ts$',
  '^shared/app/(functions|uses)\\.ts$',
  // Text parsing of EGRESS_ALLOW, so that synthesis refuses a bad CIDR the functions would refuse at start.
  '^shared/net/address-policy\\.ts$',
  // The connectors' fields (generated), so that a CredentialCheck refuses a secret field at synthesis.
  '^shared/generated/catalogue\\.json$',
];

module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'shared/domain holds types, schemas and constants: no store, net, http, service or SDK.',
      severity: 'error',
      from: { path: '^shared/domain/' },
      to: { path: [`^shared/(store|net|http|service|connectors|app)/`, AWS_SDK, OUTBOUND, '^@middy/'] },
    },
    {
      name: 'service-knows-no-net-or-http',
      comment: 'Use cases talk to ports (shared/store/ports.ts), never to the network, HTTP or AWS directly.',
      severity: 'error',
      from: { path: '^shared/service/' },
      to: { path: ['^shared/(net|http|app)/', AWS_SDK, OUTBOUND, '^@middy/', '^@aws-lambda-powertools/'] },
    },
    {
      name: 'connectors-know-no-store',
      comment: 'A connector checks a credential; where credentials are kept is none of its business.',
      severity: 'error',
      from: { path: '^shared/connectors/' },
      to: { path: ['^shared/(store|service|http|app)/', AWS_SDK] },
    },
    {
      name: 'adapters-know-no-use-case',
      comment: 'shared/store and shared/net are adapters: they know the domain and their own service only.',
      severity: 'error',
      from: { path: '^shared/(store|net)/' },
      to: { path: '^shared/(service|http|app|connectors)/' },
    },
    {
      name: 'http-builds-nothing',
      comment:
        'Handlers get their parts from the composition (functions/, bin/local-server.ts), never build them.',
      severity: 'error',
      from: { path: '^shared/http/' },
      to: { path: ['^shared/(store|app)/', AWS_SDK, OUTBOUND], pathNot: DATA_MODULES },
    },
    {
      name: 'shared-stands-alone',
      comment: 'shared/ is imported by entries, the CLI and infra, never the other way round.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(functions|bin|infra|test|bench|scripts)/' },
    },
    {
      name: 'infra-imports-only-data',
      comment: 'The stack reads data (the route table, uses, constants), never runtime code of a function.',
      severity: 'error',
      from: { path: '^infra/' },
      to: { path: '^shared/', pathNot: DATA_MODULES },
    },
    {
      name: 'data-modules-stay-data',
      comment: 'The modules infra may import depend on nothing but each other.',
      severity: 'error',
      from: { path: DATA_MODULES },
      to: { path: '^shared/', pathNot: DATA_MODULES },
    },
    {
      name: 'reads-without-connectors',
      comment:
        'Reading a credential needs the table only: no connector, no outbound client, no secret store.',
      severity: 'error',
      from: {
        path: [
          '^shared/service/credential-reads\\.ts$',
          '^shared/http/handlers/(get-credential|list-credentials|list-checks)\\.ts$',
          '^functions/(get-credential|list-credentials|list-checks)\\.ts$',
        ],
      },
      to: {
        reachable: true,
        path: ['^shared/(connectors|net)/', '^shared/app/(checker|secrets)\\.ts$', OUTBOUND],
      },
    },
    {
      name: 'build-time-stays-out-of-functions',
      comment:
        'The OpenAPI generator and classic zod run at build time (npm run generate), never in a function.',
      severity: 'error',
      from: { path: '^functions/' },
      to: {
        reachable: true,
        path: ['^shared/http/openapi(-examples)?\\.ts$', '^scripts/', '^@asteasolutions/'],
      },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes load order and tree-shaking unpredictable.',
      severity: 'error',
      from: { path: '^(shared|functions|infra|bin)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(cdk\\.out|node_modules)/' },
  },
};
