// credval console: one page, no framework, no build step. Every form is built from GET /connectors, so a
// new connector needs no code here. The DOM is built node by node: the page's CSP enforces Trusted Types
// with no policy, so a string can never become markup.

const TOKEN_KEY = 'credval.token';
/** API paths are relative to the page, so the console works under a path prefix too. */
const API_BASE = new URL('.', document.baseURI);

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  connectors: [],
  credentials: [],
  nextCursor: null,
  /** Re-checks in flight, by credential id: `{ controller, since }`, so a re-rendered card still shows them. */
  rechecks: new Map(),
};

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------------------
// DOM helpers

/** Creates an element: `props` become attributes (`class`, `text`, `on<event>` handled), children appended. */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  appendAll(el, children);
  return el;
}

function appendAll(el, children) {
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's children; unlike replaceChildren, a null or false child is skipped, never "null". */
function fill(el, ...children) {
  el.replaceChildren();
  appendAll(el, children);
  return el;
}

let lastId = 0;
const uid = (prefix) => `${prefix}-${++lastId}`;

/** Visually hidden text that completes an accessible name ("Re-check" + " ERP"). */
const hidden = (text) => h('span', { class: 'visually-hidden', text });

function button(label, { variant = '', onclick, type = 'button', ...rest } = {}) {
  return h(
    'button',
    { type, class: `button${variant ? ` button--${variant}` : ''}`, onclick, ...rest },
    ...(Array.isArray(label) ? label : [label]),
  );
}

/** Runs `work` with the button marked busy; clicks meanwhile are ignored and focus stays where it is. */
async function busy(btn, work) {
  if (btn.getAttribute('aria-disabled') === 'true') return;
  btn.setAttribute('aria-disabled', 'true');
  btn.classList.add('is-busy');
  try {
    await work();
  } finally {
    btn.removeAttribute('aria-disabled');
    btn.classList.remove('is-busy');
  }
}

/** How long a request has been running, for people: "3 s elapsed". */
const elapsedText = (since) => `${Math.max(0, Math.floor((Date.now() - since) / 1000))} s elapsed`;
let ticker = null;

/**
 * A counter of the seconds since `since` (a role=timer, so it is not announced every second). One interval
 * updates every counter on the page and stops when none is left.
 */
function elapsedCounter(since) {
  const counter = h(
    'span',
    { class: 'elapsed', role: 'timer', 'data-since': String(since) },
    elapsedText(since),
  );
  ticker ??= setInterval(() => {
    const counters = document.querySelectorAll('.elapsed[data-since]');
    if (counters.length === 0) {
      clearInterval(ticker);
      ticker = null;
    }
    for (const el of counters) el.textContent = elapsedText(Number(el.dataset.since));
  }, 250);
  return counter;
}

/**
 * A running request: a spinner, the elapsed seconds and a "Cancel check" button that aborts it (`name`
 * completes its accessible name, `attrs` are extra attributes of the button).
 */
function progressNodes(since, onCancel, { name, attrs = {} } = {}) {
  return [
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    elapsedCounter(since),
    button(['Cancel check', name ? hidden(` ${name}`) : null], {
      variant: 'small',
      'data-action': 'cancel-check',
      ...attrs,
      onclick: onCancel,
    }),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Formatting

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

function relative(iso) {
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  const units = [
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
  ];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relativeFormat.format(Math.round(seconds / size), unit);
  }
  return Math.abs(seconds) < 30 ? 'just now' : relativeFormat.format(Math.round(seconds), 'second');
}

function timeNode(iso) {
  if (!iso) return h('span', { class: 'muted', text: 'not scheduled' });
  return h('time', { datetime: iso, title: iso }, `${dateFormat.format(new Date(iso))} (${relative(iso)})`);
}

const VERDICTS = { valid: 'Valid', invalid: 'Invalid', inconclusive: 'Inconclusive' };
const STATUSES = { valid: 'Valid', invalid: 'Invalid', degraded: 'Degraded', unverified: 'Unverified' };
const REASONS = {
  invalid_credentials: 'The credentials were refused',
  insufficient_permissions: 'A required permission is missing',
  database_not_found: 'The database does not exist',
  api_disabled: 'The API is switched off',
  plan_not_allowed: 'The plan does not include the API',
  ip_not_allowed: 'This IP address is not allowed',
  not_the_vendor: 'The address is not the expected system',
  blocked_destination: "This server's egress policy does not let credval call that address",
  tls_error: 'TLS (certificate) error',
  timeout: 'The vendor did not answer in time',
  endpoint_unreachable: 'The vendor could not be reached',
  rate_limited: 'The vendor asked to slow down',
  vendor_error: 'The vendor answered with an error',
  invalid_input: 'A field needs fixing',
  secret_unavailable: "credval could not read the credential's secret",
};
const TRIGGERS = {
  create: 'Created',
  update: 'Edited',
  rotate: 'Secret rotated',
  manual: 'Re-checked',
  schedule: 'Scheduled check',
  event: 'Event',
};

const badge = (kind, labels) => h('span', { class: `badge badge--${kind}`, text: labels[kind] ?? kind });

/**
 * Warnings that mean a valid credential may not do its job (it reads nothing, it is a portal user, the
 * instance is locked, the key is about to expire): such a credential is shown amber, not green. The others
 * (an administrator key, plain http, a normalised URL) are advice and leave it green.
 */
const ATTENTION_WARNINGS = new Set(['no_read_access', 'portal_user', 'instance_locked', 'key_expiring']);
const needsAttention = (report) =>
  report?.verdict === 'valid' && (report.warnings ?? []).some((w) => ATTENTION_WARNINGS.has(w.code));
const ATTENTION_LABEL = 'Valid, needs attention';

/** The verdict badge of a report, amber for a valid one that needs attention. */
const verdictBadge = (report) =>
  needsAttention(report)
    ? h('span', { class: 'badge badge--attention', text: ATTENTION_LABEL })
    : badge(report.verdict, VERDICTS);

/** The status badge of a credential, amber for a valid one whose last check needs attention. */
const statusBadge = (credential) =>
  credential.status === 'valid' && needsAttention(credential.lastCheck)
    ? h('span', { class: 'badge badge--attention', text: ATTENTION_LABEL })
    : badge(credential.status, STATUSES);

/** What a report's verdict is called in one word or three. */
const verdictText = (report) => (needsAttention(report) ? ATTENTION_LABEL : VERDICTS[report.verdict]);

/** A vendor fact in words: the connector's label for the key, and for a coded value. */
function vendorFact(connector, key, value) {
  const spec = connector?.vendorFacts?.[key];
  return {
    label: spec?.label ?? humanize(key),
    value: typeof value === 'boolean' ? value : (spec?.values?.[String(value)] ?? String(value)),
  };
}

/** Who a credential acts as, in one line: "admin (SuperAdmin), administrator". */
function identityLine(identity) {
  if (!identity) return null;
  const who =
    identity.login ?? identity.email ?? (identity.userId !== null ? `user ${identity.userId}` : null);
  if (!who && !identity.name) return null;
  const parts = [
    `${who ?? identity.name}${who && identity.name && identity.name !== who ? ` (${identity.name})` : ''}`,
  ];
  if (identity.company) parts.push(identity.company);
  if (identity.admin === true) parts.push('administrator');
  return parts.join(', ');
}

/** `accessLocked` → "Access locked". */
const humanize = (key) => {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1).toLowerCase();
};

/** Yes / No / Unknown; `judged` colours them (permissions: yes is good), otherwise they are plain facts. */
const yesNo = (value, judged = true) =>
  value === true
    ? h('span', { class: judged ? 'yes' : '', text: 'Yes' })
    : value === false
      ? h('span', { class: judged ? 'no' : '', text: 'No' })
      : h('span', { class: 'unknown', text: 'Unknown' });

const connectorOf = (id) => state.connectors.find((c) => c.id === id);
const fieldLabel = (connector, key) => connector?.fields.find((f) => f.key === key)?.label ?? humanize(key);

// ---------------------------------------------------------------------------------------------------------
// API

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `The API answered ${status}.`);
    this.status = status;
    this.problem = problem ?? { detail: this.message };
  }
}

/** The person cancelled the request (its AbortSignal fired); the server may still finish it. */
class CancelledError extends Error {
  constructor() {
    super('Cancelled.');
    this.cancelled = true;
  }
}

/**
 * One API call. Answers `{ status, ok, data, etag }`; a 401 signs out, a network failure throws, and so does
 * `signal` when it aborts the call (CancelledError).
 */
async function api(method, path, { body, headers = {}, signal } = {}) {
  let response;
  let text;
  try {
    response = await fetch(new URL(path, API_BASE), {
      method,
      headers: {
        accept: 'application/json, application/problem+json',
        ...(state.token ? { authorization: `Bearer ${state.token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      cache: 'no-store',
      signal,
    });
    text = await response.text();
  } catch {
    if (signal?.aborted) throw new CancelledError();
    throw new ApiError(0, {
      detail: 'The credval API cannot be reached. Check that the server is running, then try again.',
    });
  }
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: `The API answered ${response.status} with a body that is not JSON.` };
    }
  }
  if (response.status === 401) {
    const problem = data ?? { detail: 'Authentication required.' };
    signOut(`The API refused the token (401): ${problem.detail ?? ''} Sign in again.`);
    throw new ApiError(401, problem);
  }
  return { status: response.status, ok: response.ok, data, etag: response.headers.get('etag') };
}

/** Throws the answer's problem unless it is a success. */
function ok(answer) {
  if (!answer.ok) throw new ApiError(answer.status, answer.data);
  return answer;
}

/** A random Idempotency-Key (crypto.randomUUID needs a secure context; getRandomValues does not). */
function idempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// ---------------------------------------------------------------------------------------------------------
// Notices: a polite live region for results, an alert region for errors

let announceTimer;
function announce(text) {
  const region = $('announcer');
  region.textContent = '';
  clearTimeout(announceTimer);
  // Emptied first and refilled a moment later, so the same text is announced again.
  announceTimer = setTimeout(() => {
    region.textContent = text;
  }, 50);
}

/** The correlation id of an answer, to quote when reporting a problem. */
const referenceNode = (correlationId) =>
  correlationId
    ? h('p', { class: 'muted reference' }, 'Reference: ', h('code', { text: correlationId }))
    : null;

/**
 * The problem+json of a refusal, each message once: the input issues not already shown at their fields
 * (`shown`), else the `detail` (which only joins the issues when there are any), and the correlation id.
 */
function problemNodes(problem, connector, shown = new Set()) {
  const issues = Array.isArray(problem?.issues) ? problem.issues : [];
  const rest = issues.filter((issue) => !shown.has(issue));
  const count = issues.length - rest.length;
  return [
    issues.length === 0 ? h('p', { text: problem?.detail ?? 'The request failed.' }) : null,
    count > 0
      ? h('p', {
          text: `${count === 1 ? 'One field needs' : `${count} fields need`} fixing: see the marked field${count === 1 ? '' : 's'}.`,
        })
      : null,
    rest.length > 0
      ? h(
          'ul',
          {},
          rest.map((issue) =>
            h(
              'li',
              {},
              issue.field ? `${fieldLabel(connector, issue.field.replace(/^fields\./, ''))}: ` : '',
              issue.message,
            ),
          ),
        )
      : null,
    referenceNode(problem?.correlationId),
  ];
}

function showError(error) {
  if (error instanceof ApiError && error.status === 401) return; // already back at sign-in
  fill(
    $('alert'),
    problemNodes(error instanceof ApiError ? error.problem : { detail: String(error?.message ?? error) }),
    button('Dismiss', { variant: 'small', onclick: clearError }),
  );
}

function clearError() {
  $('alert').replaceChildren();
}

// ---------------------------------------------------------------------------------------------------------
// Dialogs

const openDialogs = new Set();

/**
 * Opens a modal <dialog> (the rest of the page is inert; Escape closes it) titled `title`. Focus goes to the
 * first field (or `initialFocus`) and back to the element that opened it when it closes.
 */
function openDialog({ title, size = '', role, onClose }) {
  const titleId = uid('dialog-title');
  const opener = document.activeElement;
  const body = h('div', { class: 'dialog__body' });
  const dialog = h(
    'dialog',
    { class: size ? `dialog--${size}` : '', 'aria-labelledby': titleId, role },
    h(
      'div',
      { class: 'dialog__head' },
      h('h2', { id: titleId, tabindex: '-1', text: title }),
      button([h('span', { 'aria-hidden': 'true', text: '×' }), hidden('Close')], {
        variant: 'quiet dialog__close',
        onclick: () => dialog.close(),
      }),
    ),
    body,
  );
  let restoreFocus = () => {
    if (!(opener instanceof HTMLElement)) return;
    // A re-rendered card replaced the opener: find its successor by what it does.
    const target = opener.isConnected
      ? opener
      : opener.dataset.action
        ? cardButton(opener.dataset.credential, opener.dataset.action)
        : null;
    (target ?? $('main')).focus();
  };
  dialog.addEventListener('close', () => {
    openDialogs.delete(dialog);
    dialog.remove();
    onClose?.();
    restoreFocus();
  });
  document.body.append(dialog);
  openDialogs.add(dialog);
  dialog.showModal();
  return {
    dialog,
    body,
    /** Moves focus into the dialog: the given element, else the first field, else the close button. */
    focus(target) {
      const first =
        target ?? dialog.querySelector('input, select, textarea') ?? dialog.querySelector('button');
      first?.focus();
    },
    /** Closes and sends focus to `target` (e.g. a card that was re-rendered) instead of the opener. */
    close(target) {
      if (target) restoreFocus = () => target()?.focus();
      dialog.close();
    },
    /** However the dialog closes from now on (Done, Escape, ×), focus goes to `target`, not the opener. */
    returnFocusTo(target) {
      restoreFocus = () => target()?.focus();
    },
  };
}

function closeAllDialogs() {
  for (const dialog of openDialogs) dialog.close();
}

// ---------------------------------------------------------------------------------------------------------
// Forms built from the catalogue

/** One labelled field with its help text and a slot for its error, all tied to the input by id. */
function fieldBlock({ id, label, required, help, control, extra, secret = false }) {
  const helpId = help ? `${id}-help` : null;
  const errorId = `${id}-error`;
  control.id = id;
  if (required) control.required = true;
  if (helpId) control.setAttribute('aria-describedby', helpId);
  const error = h('p', { class: 'error', id: errorId, hidden: true });
  const block = h(
    'div',
    { class: `field${secret ? ' field--secret' : ''}` },
    h(
      'label',
      { for: id },
      label,
      required
        ? [' ', h('span', { class: 'req', 'aria-hidden': 'true', text: '*' })]
        : [' ', h('span', { class: 'optional', text: '(optional)' })],
    ),
    extra ? h('div', { class: 'secret-row' }, control, extra) : control,
    help ? h('p', { class: 'help', id: helpId, text: help }) : null,
    error,
  );
  return { block, input: control, error, helpId, errorId };
}

function setFieldError(entry, message) {
  entry.input.setAttribute('aria-invalid', 'true');
  entry.error.textContent = message;
  entry.error.hidden = false;
  entry.input.setAttribute('aria-describedby', [entry.errorId, entry.helpId].filter(Boolean).join(' '));
}

function clearFieldError(entry) {
  entry.input.removeAttribute('aria-invalid');
  entry.error.textContent = '';
  entry.error.hidden = true;
  if (entry.helpId) entry.input.setAttribute('aria-describedby', entry.helpId);
  else entry.input.removeAttribute('aria-describedby');
}

/** The input for one catalogue field: a select for enums (showing the catalogue's option labels), a password input for secrets. */
function controlFor(spec, value) {
  if (spec.format === 'enum' && Array.isArray(spec.enum)) {
    const selected = value ?? spec.default ?? '';
    const options = spec.enum.map((option) =>
      h('option', { value: option, selected: option === selected }, spec.enumLabels?.[option] ?? option),
    );
    if (!spec.required && spec.default === undefined)
      options.unshift(h('option', { value: '', selected: selected === '' }, '(none)'));
    return h('select', { name: spec.key }, options);
  }
  const plain = spec.format === 'url' || spec.format === 'email' || spec.secret || spec.key === 'username';
  return h('input', {
    name: spec.key,
    type: spec.secret ? 'password' : spec.format === 'email' ? 'email' : 'text',
    inputmode: { url: 'url', email: 'email', integer: 'numeric' }[spec.format],
    autocomplete: spec.secret ? 'new-password' : 'off',
    spellcheck: plain ? 'false' : undefined,
    autocapitalize: plain ? 'none' : undefined,
    placeholder: spec.placeholder,
    value: value ?? '',
  });
}

/**
 * The connector's fields (all, or those `which` keeps), with labels, help texts, required marks; secret
 * fields are password inputs with a Show toggle. Returns the blocks and a map key → field entry.
 */
function connectorFields(connector, { values = {}, which = () => true, labelFor } = {}) {
  const prefix = uid('field');
  const entries = new Map();
  const blocks = [];
  for (const spec of connector.fields.filter(which)) {
    const control = controlFor(spec, values[spec.key]);
    const label = labelFor ? labelFor(spec) : spec.label;
    let extra = null;
    if (spec.secret) {
      extra = button(['Show', hidden(` ${label}`)], {
        variant: 'small',
        'aria-pressed': 'false',
        onclick: (event) => {
          const showing = control.type === 'text';
          control.type = showing ? 'password' : 'text';
          event.currentTarget.setAttribute('aria-pressed', String(!showing));
        },
      });
    }
    const entry = fieldBlock({
      id: `${prefix}-${spec.key}`,
      label,
      required: spec.required,
      help: spec.help,
      control,
      extra,
      secret: spec.secret,
    });
    entry.spec = spec;
    entries.set(spec.key, entry);
    blocks.push(entry.block);
  }
  return { blocks, entries };
}

/** Checks required fields locally; marks each empty one and focuses the first. */
function checkRequired(entries) {
  let first = null;
  for (const entry of entries) {
    clearFieldError(entry);
    if (entry.input.required && entry.input.value.trim() === '') {
      setFieldError(entry, `${entry.label} is required.`);
      first ??= entry;
    }
  }
  first?.input.focus();
  return first === null;
}

/** Parses "resource:read,write" lines into requirements; throws a message naming the bad line. */
function parseRequirements(text) {
  const requirements = [];
  for (const line of text.split(/[\n;]+/)) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const at = trimmed.lastIndexOf(':');
    const resource = (at > 0 ? trimmed.slice(0, at) : trimmed).trim();
    const access =
      at > 0
        ? trimmed
            .slice(at + 1)
            .split(/[\s,]+/)
            .filter(Boolean)
        : ['read'];
    if (!resource || access.length === 0 || access.some((a) => a !== 'read' && a !== 'write'))
      throw new Error(`"${trimmed}" is not resource:read,write (access is read, write or both).`);
    requirements.push({ resource, access: [...new Set(access)] });
  }
  return requirements;
}

const requirementsText = (requirements) =>
  (requirements ?? []).map((r) => `${r.resource}:${r.access.join(',')}`).join('\n');

function requirementsField(requirements) {
  const entry = fieldBlock({
    id: uid('requirements'),
    label: 'Required access',
    required: false,
    help: "One per line: a resource in the vendor's own name and the access it needs, e.g. purchase.order:read,write (Odoo), supplierorders:read (Dolibarr), purchaseorders (Precoro). A credential that is known to lack one is refused.",
    control: h(
      'textarea',
      { name: 'requirements', rows: '3', spellcheck: 'false' },
      requirementsText(requirements),
    ),
  });
  entry.label = 'Required access';
  const details = h(
    'details',
    { class: 'advanced', open: (requirements ?? []).length > 0 },
    h('summary', { text: 'Advanced options' }),
    entry.block,
  );
  return { details, entry };
}

// ---------------------------------------------------------------------------------------------------------
// The report (DESIGN.md section 3)

/** The operator's settings a message names (`EGRESS_ALLOW=10.0.0.5/32`, `--egress-allow ...`), to set as code. */
const SETTING = /(EGRESS_ALLOW=(?:<its CIDR>|[\w.:/]+)|--egress-allow (?:<its CIDR>|[\w.:/]+))/;

/** A message as text, with the settings it names set as code so they read (and copy) as typed. */
const messageNodes = (text) =>
  text.split(SETTING).map((part, i) => (i % 2 === 1 ? h('code', { text: part }) : part));

/** How a probe is named in the list: what it asked (its description, else the step's name). */
const probeLabel = (probe) => probe.description ?? probe.name ?? `${probe.method} ${probe.url}`;

/**
 * The report: verdict, message, what to fix, identity, vendor, permissions, warnings, probes (collapsed).
 * `showMessage: false` leaves the message out where it is already shown (at the field it blames).
 */
function reportView(report, { title, connector, onFix, level = 3, showMessage = true }) {
  const titleId = uid('report');
  const heading = `h${level}`;
  const sub = `h${Math.min(level + 1, 6)}`;
  const identity = report.identity
    ? [
        ['Name', report.identity.name],
        ['Login', report.identity.login],
        ['E-mail', report.identity.email],
        ['User id', report.identity.userId],
        ['Company', report.identity.company],
      ].filter(([, v]) => v !== null && v !== undefined && v !== '')
    : [];
  const vendor = Object.entries(report.vendor ?? {})
    .filter(([, v]) => v !== null && v !== '')
    .map(([k, v]) => vendorFact(connector, k, v));
  const fieldName = report.field ? report.field.replace(/^fields\./, '') : null;
  const attention = needsAttention(report);
  return h(
    'section',
    { class: `report report--${attention ? 'attention' : report.verdict}`, 'aria-labelledby': titleId },
    h(heading, { id: titleId, tabindex: '-1' }, verdictBadge(report), ' ', title),
    showMessage ? h('p', { class: 'report__message' }, messageNodes(report.message)) : null,
    fieldName
      ? h(
          'p',
          { class: 'report__fix' },
          'What to fix: ',
          onFix
            ? button(fieldLabel(connector, fieldName), { variant: 'link', onclick: () => onFix(fieldName) })
            : h('strong', { text: fieldLabel(connector, fieldName) }),
        )
      : null,
    report.reason
      ? h(
          'p',
          { class: 'report__meta' },
          `${REASONS[report.reason] ?? humanize(report.reason)} (`,
          h('code', { text: report.reason }),
          ')',
          report.retryable ? '. Trying again later may give another answer' : '',
          report.retryAfterSeconds !== null && report.retryAfterSeconds !== undefined
            ? ` (after ${report.retryAfterSeconds} s)`
            : '',
          '.',
        )
      : null,
    report.warnings.length > 0
      ? [
          h(sub, { text: `Warnings (${report.warnings.length})` }),
          h(
            'ul',
            { class: 'warnings' },
            report.warnings.map((w) =>
              h(
                'li',
                { class: ATTENTION_WARNINGS.has(w.code) ? 'warning--attention' : null },
                w.message,
                ' ',
                h('code', { text: w.code }),
              ),
            ),
          ),
        ]
      : null,
    report.identity
      ? [
          h(sub, { text: 'Identity' }),
          h(
            'dl',
            { class: 'facts' },
            identity.map(([k, v]) => [h('dt', { text: k }), h('dd', { text: String(v) })]),
            h('dt', { text: 'Administrator' }),
            h('dd', {}, yesNo(report.identity?.admin ?? null, false)),
          ),
        ]
      : null,
    vendor.length > 0
      ? [
          h(sub, { text: 'Vendor' }),
          h(
            'dl',
            { class: 'facts' },
            vendor.map(({ label, value }) => [
              h('dt', { text: label }),
              h('dd', {}, typeof value === 'boolean' ? yesNo(value, false) : value),
            ]),
          ),
        ]
      : null,
    report.permissions.length > 0
      ? [
          h(sub, { text: 'Permissions' }),
          h(
            'table',
            {},
            h('caption', {
              class: 'visually-hidden',
              text: 'Permissions: read and write access per resource',
            }),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Resource', 'Read', 'Write'].map((c) => h('th', { scope: 'col', text: c })),
              ),
            ),
            h(
              'tbody',
              {},
              report.permissions.map((p) =>
                h(
                  'tr',
                  {},
                  h('th', { scope: 'row' }, h('code', { text: p.resource })),
                  h('td', {}, yesNo(p.read)),
                  h('td', {}, yesNo(p.write)),
                ),
              ),
            ),
          ),
        ]
      : null,
    report.probes.length > 0
      ? h(
          'details',
          {},
          h('summary', { text: `Calls made to the vendor (${report.probes.length})` }),
          h(
            'ol',
            { class: 'probes' },
            report.probes.map((p) =>
              h(
                'li',
                {},
                h('span', { class: 'probe__label', text: probeLabel(p) }),
                ` → ${p.status ?? 'no answer'} · ${Math.round(p.ms)} ms · ${p.outcome}`,
                h('br'),
                h('code', { class: 'probe__url', text: `${p.method} ${p.url}` }),
              ),
            ),
          ),
        )
      : null,
    h(
      'p',
      { class: 'report__meta' },
      'Checked ',
      timeNode(report.checkedAt),
      ` in ${Math.round(report.durationMs)} ms.`,
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------
// A credential form in a dialog (add, edit, rotate share it)

const CONFLICT_CODES = new Set(['conflict', 'version_conflict', 'precondition_failed']);
const CONFLICT_NOTE =
  'Someone changed this credential since you opened it (a check or another user). Close this dialog and open it again to see the latest version.';

/**
 * Builds the form scaffolding inside a dialog: the fields given, a problem area (role=alert), the report slot
 * and a footer with a status line (role=status), the progress of a running request and the action buttons.
 * The helpers run one request at a time and show its outcome with each message once: a report's message at
 * the field it blames (else in the report), a problem's issues at their fields (else in the problem area).
 */
function credentialForm(ui, { connector, intro, fields, actions, onSubmit }) {
  const problem = h('div', { class: 'problem', role: 'alert' });
  const status = h('p', { class: 'dialog-status', role: 'status' });
  const progress = h('div', { class: 'progress', hidden: true });
  const reportSlot = h('div', {});
  const actionBar = h('div', { class: 'actions' }, actions);
  let running = null;
  const form = h(
    'form',
    { novalidate: true },
    intro,
    fields,
    h(
      'p',
      { class: 'form-note' },
      h('span', { class: 'req', 'aria-hidden': 'true', text: '*' }),
      ' Required',
    ),
    problem,
    reportSlot,
    // The footer (status, progress and buttons) stays in view while the fields and the report scroll above it.
    h('div', { class: 'dialog__foot' }, status, progress, actionBar),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onSubmit(event.submitter ?? null);
  });
  // Closing the dialog abandons its request.
  ui.dialog.addEventListener('close', () => running?.abort());
  ui.body.append(form);

  const helpers = {
    form,
    actionBar,
    clear(entries) {
      problem.replaceChildren();
      reportSlot.replaceChildren();
      status.textContent = '';
      for (const entry of entries) clearFieldError(entry);
    },
    status(text) {
      status.textContent = text;
    },
    /** Shows a problem+json; `shown` are the issues already marked at their fields. */
    problem(problemBody, shown) {
      fill(problem, problemNodes(problemBody, connector, shown));
    },
    /** Marks the fields named in a 400's issues and focuses the first; returns the issues it marked. */
    issues(problemBody, entries) {
      const shown = new Set();
      let first = null;
      for (const issue of problemBody?.issues ?? []) {
        // `fields.apiKey`, `name`, `requirements.0.access`: the first segment names the input.
        const key = issue.field?.replace(/^fields\./, '').split('.')[0];
        const entry = key ? entries.get(key) : undefined;
        if (!entry) continue;
        setFieldError(
          entry,
          entry.error.hidden ? issue.message : `${entry.error.textContent} ${issue.message}`,
        );
        shown.add(issue);
        first ??= entry;
      }
      first?.input.focus();
      return shown;
    },
    /**
     * Shows a report. When it blames a field, its message goes there (where the fix is) and the field gets the
     * focus; otherwise the message is in the report and its heading gets the focus.
     */
    report(report, title, entries, { correlationId } = {}) {
      const key = report.field?.replace(/^fields\./, '');
      const entry = key && report.verdict !== 'valid' ? entries.get(key) : undefined;
      if (entry) setFieldError(entry, report.message);
      const view = reportView(report, {
        title,
        connector,
        onFix: (name) => entries.get(name)?.input.focus(),
        showMessage: !entry,
      });
      fill(reportSlot, view, referenceNode(correlationId));
      if (entry) entry.input.focus();
      else {
        view.querySelector('[tabindex="-1"]')?.focus({ preventScroll: true });
        view.scrollIntoView({ block: 'start' });
      }
    },
    /**
     * Shows a refused answer: the report of a refused (422) or inconclusive (503) check, with `refusedText` or
     * `inconclusiveText` as the status, and `onInconclusive` for the latter; else the problem, its issues marked.
     */
    refused(answer, { targets, entries, title, refusedText, inconclusiveText, onInconclusive }) {
      const data = answer.data ?? {};
      if (data.report && (answer.status === 422 || answer.status === 503)) {
        const inconclusive = answer.status === 503;
        status.textContent = inconclusive ? inconclusiveText : refusedText;
        helpers.report(data.report, inconclusive ? 'Check result' : title, entries, data);
        if (inconclusive) onInconclusive?.();
        return;
      }
      status.textContent = '';
      const shown = answer.status === 400 ? helpers.issues(data, targets) : new Set();
      helpers.problem(
        CONFLICT_CODES.has(data.code) ? { ...data, detail: `${data.detail ?? ''} ${CONFLICT_NOTE}` } : data,
        shown,
      );
    },
    /** Shows why a request did not complete: cancelled by the person (`cancelledText`), or a failure. */
    failed(error, cancelledText) {
      if (error?.cancelled) {
        status.textContent = cancelledText;
        return;
      }
      status.textContent = '';
      if (error?.status !== 401)
        helpers.problem(error?.problem ?? { detail: String(error?.message ?? error) });
    },
    /**
     * Runs `work(signal)` as the dialog's one request: the status says `label`, the other actions are disabled,
     * a counter shows the seconds and "Cancel check" (focused) aborts it. Afterwards focus returns to `from`
     * unless the outcome moved it.
     */
    async run(label, from, work) {
      if (running) return;
      const controller = new AbortController();
      running = controller;
      const locked = [...actionBar.querySelectorAll('button')].filter((b) => !b.dataset.keep && !b.disabled);
      for (const b of locked) b.disabled = true;
      status.textContent = label;
      fill(
        progress,
        progressNodes(Date.now(), () => controller.abort()),
      );
      progress.hidden = false;
      progress.querySelector('button')?.focus();
      try {
        await work(controller.signal);
      } finally {
        running = null;
        const focusWasHere = progress.contains(document.activeElement);
        progress.hidden = true;
        progress.replaceChildren();
        for (const b of locked) b.disabled = false;
        if (ui.dialog.open && (focusWasHere || document.activeElement === document.body)) from?.focus();
      }
    },
  };
  return helpers;
}

/**
 * After a save, the dialog shows what the check learned (the credential's last report) instead of closing
 * on it: a "Done" button closes it, and focus then goes to `closeTo` (the credential's card).
 */
function showSaved(ui, { connector, credential, title, closeTo }) {
  ui.returnFocusTo(closeTo);
  const done = button('Done', { variant: 'primary', onclick: () => ui.close() });
  const view = credential.lastCheck ? reportView(credential.lastCheck, { title, connector }) : null;
  fill(
    ui.body,
    view ?? h('p', { text: title }),
    h('div', { class: 'dialog__foot' }, h('div', { class: 'actions' }, done)),
  );
  (view?.querySelector('[tabindex="-1"]') ?? done).focus();
}

/** An Idempotency-Key per request body: the same body (a Save again after a cancel) reuses its key. */
function idempotencyKeys() {
  const keys = new Map();
  return (body) => {
    const text = JSON.stringify(body);
    if (!keys.has(text)) keys.set(text, idempotencyKey());
    return keys.get(text);
  };
}

function nameFields(values = {}) {
  const name = fieldBlock({
    id: uid('name'),
    label: 'Name',
    required: true,
    help: 'How you will recognise this credential, e.g. "Main ERP (production)".',
    control: h('input', {
      name: 'name',
      type: 'text',
      maxlength: '200',
      autocomplete: 'off',
      value: values.name ?? '',
    }),
  });
  name.label = 'Name';
  const description = fieldBlock({
    id: uid('description'),
    label: 'Description',
    required: false,
    help: 'What it is used for, who owns it.',
    control: h('textarea', { name: 'description', rows: '2', maxlength: '2000' }, values.description ?? ''),
  });
  description.label = 'Description';
  return { name, description };
}

const valuesOf = (entries) => {
  const values = {};
  for (const [key, entry] of entries) {
    const value = entry.input.value.trim();
    if (value !== '') values[key] = value;
  }
  return values;
};

function withLabels(entries) {
  for (const entry of entries.values()) entry.label ??= entry.spec.label;
  return entries;
}

/** The "Save anyway" button of an inconclusive check, added once before `before`. */
function saveAnywayOffer(form, before, save) {
  let saveAnyway = null;
  return () => {
    if (saveAnyway) return;
    saveAnyway = button('Save anyway', { variant: 'primary', onclick: () => save(true, saveAnyway) });
    form.actionBar.insertBefore(saveAnyway, before);
  };
}

/** "Add credential": name, description, the connector's fields; Test (dry run) and Save. */
function openAddDialog(connector) {
  const ui = openDialog({ title: `Add ${connector.label} credential` });
  const { name, description } = nameFields();
  const { blocks, entries } = connectorFields(connector);
  withLabels(entries);
  const requirements = requirementsField([]);
  const all = () => [name, description, ...entries.values(), requirements.entry];
  const targets = new Map([
    ...entries,
    ['name', name],
    ['description', description],
    ['requirements', requirements.entry],
  ]);
  const keyFor = idempotencyKeys();

  const testButton = button('Test', { onclick: () => test() });
  const saveButton = button('Save', { type: 'submit', variant: 'primary' });
  const cancelButton = button('Cancel', { 'data-keep': 'true', onclick: () => ui.close() });

  const form = credentialForm(ui, {
    connector,
    intro: h('p', { class: 'muted', text: connector.description }),
    fields: [
      name.block,
      description.block,
      h('fieldset', {}, h('legend', { text: `${connector.label} connection` }), blocks),
      requirements.details,
    ],
    actions: [testButton, saveButton, cancelButton],
    onSubmit: () => save(false, saveButton),
  });
  const offerSaveAnyway = saveAnywayOffer(form, cancelButton, save);

  function readRequirements() {
    try {
      return parseRequirements(requirements.entry.input.value);
    } catch (error) {
      setFieldError(requirements.entry, error.message);
      requirements.entry.input.focus();
      return null;
    }
  }

  function test() {
    form.clear(all());
    if (!checkRequired(entries.values())) return;
    const reqs = readRequirements();
    if (reqs === null) return;
    return form.run('Testing with the vendor…', testButton, async (signal) => {
      try {
        const answer = await api('POST', 'validations', {
          body: { connector: connector.id, fields: valuesOf(entries), requirements: reqs },
          signal,
        });
        if (!answer.ok) return form.refused(answer, { targets, entries });
        const report = answer.data;
        form.status(`Test result: ${verdictText(report)}.`);
        form.report(report, 'Test result', entries);
      } catch (error) {
        form.failed(error, 'Test cancelled: nothing was stored.');
      }
    });
  }

  function save(allowUnverified, from) {
    form.clear(all());
    const nameOk = checkRequired([name]);
    if (!checkRequired(entries.values()) || !nameOk) {
      if (!nameOk) name.input.focus();
      return;
    }
    const reqs = readRequirements();
    if (reqs === null) return;
    const body = {
      connector: connector.id,
      name: name.input.value.trim(),
      description: description.input.value.trim(),
      fields: valuesOf(entries),
      ...(reqs.length > 0 ? { requirements: reqs } : {}),
      ...(allowUnverified ? { allowUnverified: true } : {}),
    };
    const label = allowUnverified ? 'Saving without verification…' : 'Checking with the vendor, then saving…';
    return form.run(label, from, async (signal) => {
      try {
        const answer = await api('POST', 'credentials', {
          headers: { 'idempotency-key': keyFor(body) },
          body,
          signal,
        });
        if (answer.status === 201) {
          const credential = answer.data;
          upsertCredential(credential);
          announce(`Saved “${credential.name}”: ${STATUSES[credential.status]}.`);
          showSaved(ui, {
            connector,
            credential,
            title: `Saved “${credential.name}”`,
            closeTo: () => cardHeading(credential.id),
          });
          return;
        }
        form.refused(answer, {
          targets,
          entries,
          title: 'Why it was not saved',
          refusedText: 'Not saved.',
          inconclusiveText:
            'Not saved yet: the check was inconclusive. “Save anyway” stores it as unverified; credval keeps re-checking it.',
          onInconclusive: offerSaveAnyway,
        });
      } catch (error) {
        form.failed(
          error,
          'Stopped waiting. The server may still finish the check and store the credential: Save again to see the outcome (it is never stored twice).',
        );
      }
    });
  }

  ui.focus(name.input);
}

/** Reads one credential with its ETag (for If-Match). */
async function fetchCredential(id) {
  const answer = ok(await api('GET', `credentials/${encodeURIComponent(id)}`));
  upsertCredential(answer.data, { render: false });
  return { credential: answer.data, etag: answer.etag ?? `"${answer.data.version}"` };
}

/** Edit: name, description and the non-secret fields; PATCH with If-Match. */
async function openEditDialog(credential) {
  const connector = connectorOf(credential.connector);
  let fresh;
  try {
    fresh = await fetchCredential(credential.id);
  } catch (error) {
    return failOnCard(error);
  }
  const current = fresh.credential;
  const ui = openDialog({ title: `Edit “${current.name}”` });
  const { name, description } = nameFields(current);
  const { blocks, entries } = connectorFields(connector, {
    values: current.fields,
    which: (spec) => !spec.secret,
  });
  withLabels(entries);
  const requirements = requirementsField(current.requirements);
  const secretLabels = connector.fields.filter((f) => f.secret).map((f) => f.label.toLowerCase());
  const all = () => [name, description, ...entries.values(), requirements.entry];
  const targets = new Map([
    ...entries,
    ['name', name],
    ['description', description],
    ['requirements', requirements.entry],
  ]);
  const saveButton = button('Save changes', { type: 'submit', variant: 'primary' });
  const cancelButton = button('Cancel', { 'data-keep': 'true', onclick: () => ui.close() });

  const form = credentialForm(ui, {
    connector,
    intro: h(
      'p',
      { class: 'muted' },
      'Changing a connection field or the required access re-checks the credential with the stored secret. ',
      secretLabels.length > 0
        ? `The ${secretLabels.join(' and ')} is never shown: use “Rotate secret” to replace it.`
        : '',
    ),
    fields: [
      name.block,
      description.block,
      blocks.length > 0
        ? h('fieldset', {}, h('legend', { text: `${connector.label} connection` }), blocks)
        : null,
      requirements.details,
    ],
    actions: [saveButton, cancelButton],
    onSubmit: () => save(false, saveButton),
  });
  const offerSaveAnyway = saveAnywayOffer(form, cancelButton, save);

  function changes() {
    const patch = {};
    const newName = name.input.value.trim();
    if (newName !== current.name) patch.name = newName;
    const newDescription = description.input.value.trim();
    if (newDescription !== (current.description ?? '')) patch.description = newDescription;
    const fields = {};
    for (const [key, entry] of entries) {
      const value = entry.input.value.trim();
      const stored = current.fields[key] ?? '';
      // An enum shown at its default while nothing is stored is no change.
      const unchanged = value === stored || (stored === '' && value === entry.spec.default);
      if (!unchanged) fields[key] = value === '' ? null : value;
    }
    if (Object.keys(fields).length > 0) patch.fields = fields;
    const reqs = parseRequirements(requirements.entry.input.value);
    if (requirementsText(reqs) !== requirementsText(current.requirements)) patch.requirements = reqs;
    return patch;
  }

  function save(allowUnverified, from) {
    form.clear(all());
    if (!checkRequired([name, ...entries.values()])) return;
    let patch;
    try {
      patch = changes();
    } catch (error) {
      setFieldError(requirements.entry, error.message);
      requirements.entry.input.focus();
      return;
    }
    if (Object.keys(patch).length === 0) {
      form.status('Nothing changed.');
      return;
    }
    const rechecks = patch.fields !== undefined || patch.requirements !== undefined;
    const label = rechecks ? 'Re-checking with the vendor, then saving…' : 'Saving…';
    return form.run(label, from, async (signal) => {
      try {
        const answer = await api('PATCH', `credentials/${encodeURIComponent(current.id)}`, {
          headers: { 'if-match': fresh.etag },
          body: { ...patch, ...(allowUnverified ? { allowUnverified: true } : {}) },
          signal,
        });
        if (answer.ok) {
          upsertCredential(answer.data);
          announce(`Saved changes to “${answer.data.name}”: ${STATUSES[answer.data.status]}.`);
          const closeTo = () => cardButton(current.id, 'edit');
          if (!rechecks) return ui.close(closeTo);
          showSaved(ui, { connector, credential: answer.data, title: 'Saved: the re-check', closeTo });
          return;
        }
        form.refused(answer, {
          targets,
          entries,
          title: 'Why the change was not saved',
          refusedText: 'Not saved: nothing changed.',
          inconclusiveText:
            'Not saved yet: the check was inconclusive. “Save anyway” stores the change as unverified.',
          onInconclusive: offerSaveAnyway,
        });
      } catch (error) {
        form.failed(
          error,
          'Stopped waiting. The server may still finish and save the change: open the credential again to see it.',
        );
      }
    });
  }

  ui.focus(name.input);
}

/** Rotate: only the secret field(s); the new value is tested and promoted only if valid. */
async function openRotateDialog(credential) {
  const connector = connectorOf(credential.connector);
  let fresh;
  try {
    fresh = await fetchCredential(credential.id);
  } catch (error) {
    return failOnCard(error);
  }
  const current = fresh.credential;
  const ui = openDialog({ title: `Rotate the secret of “${current.name}”` });
  const { blocks, entries } = connectorFields(connector, {
    which: (spec) => spec.secret,
    labelFor: (spec) =>
      `New ${/^[A-Z][a-z]/.test(spec.label) ? spec.label.charAt(0).toLowerCase() + spec.label.slice(1) : spec.label}`,
  });
  for (const entry of entries.values()) {
    entry.input.required = true;
    entry.label = entry.spec.label;
  }
  const rotateButton = button('Rotate', { type: 'submit', variant: 'primary' });
  const form = credentialForm(ui, {
    connector,
    intro: h('p', {
      class: 'muted',
      text: 'The new value is tested with the vendor first. The current one stays in use unless the new one is valid.',
    }),
    fields: blocks,
    actions: [rotateButton, button('Cancel', { 'data-keep': 'true', onclick: () => ui.close() })],
    onSubmit: () => rotate(),
  });

  function rotate() {
    form.clear(entries.values());
    if (!checkRequired(entries.values())) return;
    return form.run('Testing the new value with the vendor…', rotateButton, async (signal) => {
      try {
        const answer = await api('PATCH', `credentials/${encodeURIComponent(current.id)}`, {
          headers: { 'if-match': fresh.etag },
          body: { fields: valuesOf(entries) },
          signal,
        });
        if (answer.ok) {
          upsertCredential(answer.data);
          announce(`Rotated the secret of “${answer.data.name}”: the new value works and is now in use.`);
          showSaved(ui, {
            connector,
            credential: answer.data,
            title: 'Rotated: the new value works and is now in use',
            closeTo: () => cardButton(current.id, 'rotate'),
          });
          return;
        }
        form.refused(answer, {
          targets: entries,
          entries,
          title: 'Why the new value was not used',
          refusedText: 'Not rotated: the current secret stays in use.',
          inconclusiveText:
            'Not rotated: the new value could not be verified, so the current one stays in use.',
        });
      } catch (error) {
        form.failed(
          error,
          'Stopped waiting. The server may still finish the rotation: open the credential again to see which secret is in use.',
        );
      }
    });
  }

  ui.focus();
}

/** Delete, after a confirmation dialog whose safe choice (Cancel) has the focus. */
function confirmDelete(credential) {
  const ui = openDialog({ title: `Delete “${credential.name}”?`, size: 'small', role: 'alertdialog' });
  const problem = h('div', { class: 'problem', role: 'alert' });
  const cancel = button('Cancel', { onclick: () => ui.close() });
  const remove = button(['Delete', hidden(` ${credential.name}`)], {
    variant: 'danger',
    onclick: () =>
      busy(remove, async () => {
        try {
          const answer = await api('DELETE', `credentials/${encodeURIComponent(credential.id)}`);
          if (answer.status !== 404) ok(answer);
          state.credentials = state.credentials.filter((c) => c.id !== credential.id);
          renderCredentials();
          ui.close(() => $('credentials-title'));
          announce(`Deleted “${credential.name}”.`);
        } catch (error) {
          if (error.status !== 401) fill(problem, problemNodes(error.problem));
        }
      }),
  });
  ui.body.append(
    h('p', {
      text: 'The credential is removed and its secret scheduled for deletion. Its check history is kept. This cannot be undone here.',
    }),
    problem,
    h('div', { class: 'actions' }, remove, cancel),
  );
  ui.focus(cancel);
}

/** Check history, newest first, with each check's report behind a disclosure. */
function openHistory(credential) {
  const connector = connectorOf(credential.connector);
  const ui = openDialog({ title: `Check history of “${credential.name}”`, size: 'wide' });
  const captionText = `Checks of ${credential.name}, newest first`;
  const tbody = h('tbody', {});
  const table = h(
    'table',
    { class: 'history-table' },
    h('caption', { class: 'visually-hidden', text: captionText }),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['When', 'Trigger', 'Result'].map((c) => h('th', { scope: 'col', text: c })),
      ),
    ),
    tbody,
  );
  const status = h('p', { class: 'dialog-status', role: 'status', text: 'Loading the history…' });
  const problem = h('div', { class: 'problem', role: 'alert' });
  const more = button('Load older checks', { hidden: true });
  ui.body.append(status, problem, table, h('div', { class: 'actions' }, more));
  let cursor = null;

  async function load() {
    try {
      const query = `limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const answer = ok(await api('GET', `credentials/${encodeURIComponent(credential.id)}/checks?${query}`));
      for (const check of answer.data.items) {
        tbody.append(
          h(
            'tr',
            {},
            h('td', {}, timeNode(check.checkedAt)),
            h('td', { text: TRIGGERS[check.trigger] ?? check.trigger }),
            h(
              'td',
              {},
              verdictBadge(check.report),
              ' ',
              h(
                'span',
                { class: 'muted' },
                check.statusBefore && check.statusBefore !== check.statusAfter
                  ? `Status: ${check.statusBefore} → ${check.statusAfter}`
                  : `Status: ${check.statusAfter}`,
              ),
              h('p', { class: 'report__message', text: check.report.message }),
              h(
                'details',
                {},
                h(
                  'summary',
                  {},
                  'Full report',
                  hidden(` of ${dateFormat.format(new Date(check.checkedAt))}`),
                ),
                // The message is in the row above; the report adds everything else.
                reportView(check.report, { title: 'Report', connector, level: 3, showMessage: false }),
              ),
            ),
          ),
        );
      }
      cursor = answer.data.nextCursor;
      more.hidden = !cursor;
      const count = tbody.children.length;
      status.textContent =
        count === 0 ? 'No check recorded yet.' : `${count} check${count === 1 ? '' : 's'} shown.`;
    } catch (error) {
      status.textContent = '';
      if (error.status !== 401) fill(problem, problemNodes(error.problem));
    }
  }
  more.addEventListener('click', () => busy(more, load));
  ui.focus(ui.dialog.querySelector('h2'));
  load();
}

// ---------------------------------------------------------------------------------------------------------
// Lists

function renderTiles() {
  $('connector-tiles').replaceChildren(
    ...state.connectors.map((connector) => {
      const titleId = `connector-${connector.id}`;
      return h(
        'li',
        { class: 'tile' },
        h(
          'div',
          { class: 'tile__head' },
          h('span', { class: 'tile__logo', 'aria-hidden': 'true', text: connector.label.charAt(0) }),
          h('h3', { id: titleId, text: connector.label }),
        ),
        h('p', { text: connector.description }),
        h(
          'div',
          { class: 'actions' },
          button(['Add credential', hidden(` for ${connector.label}`)], {
            variant: 'primary',
            'data-connector': connector.id,
            onclick: () => openAddDialog(connector),
          }),
        ),
      );
    }),
  );
}

const cardHeading = (id) => document.getElementById(`credential-${id}`);
const cardButton = (id, action) =>
  document.querySelector(`[data-credential="${CSS.escape(id)}"][data-action="${action}"]`);

/** `arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>` -> `<name>`. */
const stackNameOf = (stackId) => /:stack\/([^/]+)\//.exec(stackId)?.[1] ?? stackId;

function credentialCard(credential) {
  const connector = connectorOf(credential.connector);
  const titleId = `credential-${credential.id}`;
  const check = credential.lastCheck;
  const running = state.rechecks.get(credential.id);
  const attention = credential.status === 'valid' && needsAttention(check);
  const who = identityLine(check?.identity);
  const warnings = check?.warnings ?? [];
  const action = (label, name, onclick, variant = 'small') =>
    button([label, hidden(` ${credential.name}`)], {
      variant,
      'data-credential': credential.id,
      'data-action': name,
      onclick,
    });
  const recheck = running
    ? h(
        'span',
        { class: 'progress progress--inline' },
        h('span', { class: 'progress__label', text: 'Re-checking…' }),
        progressNodes(running.since, () => running.controller.abort(), {
          name: credential.name,
          attrs: { 'data-credential': credential.id },
        }),
      )
    : action('Re-check', 'recheck', () => recheckCredential(credential));
  const edit = action('Edit', 'edit', () => busy(edit, () => openEditDialog(credential)));
  const hasSecret = connector?.fields.some((f) => f.secret);
  // A credential a CloudFormation stack registered: its owner keeps the secret, so credval cannot rotate it.
  const managed = credential.managedBy;
  const rotate =
    hasSecret && !credential.secretArn
      ? action('Rotate secret', 'rotate', () => busy(rotate, () => openRotateDialog(credential)))
      : null;
  return h(
    'li',
    {},
    h(
      'article',
      { class: `card card--${attention ? 'attention' : credential.status}`, 'aria-labelledby': titleId },
      h(
        'div',
        { class: 'card__head' },
        h('h3', { id: titleId, tabindex: '-1', text: credential.name }),
        h('span', {}, hidden('Status: '), statusBadge(credential)),
      ),
      h('p', { class: 'card__connector', text: connector?.label ?? credential.connector }),
      credential.description ? h('p', { class: 'card__description', text: credential.description }) : null,
      h(
        'dl',
        { class: 'facts' },
        who ? [h('dt', { text: 'Acts as' }), h('dd', { text: who })] : null,
        managed
          ? [
              h('dt', { text: 'Defined in' }),
              h('dd', {
                text: `stack ${stackNameOf(managed.stackId)}, resource ${managed.logicalResourceId}`,
              }),
            ]
          : null,
        credential.secretArn
          ? [
              h('dt', { text: 'Secret' }),
              h('dd', { text: 'kept by its owner in Secrets Manager: rotate it there' }),
            ]
          : null,
        h('dt', { text: 'Last check' }),
        h(
          'dd',
          {},
          check ? [VERDICTS[check.verdict], ', ', timeNode(check.checkedAt)] : 'never',
          check ? h('br') : null,
          check ? h('span', { class: 'muted', text: check.message }) : null,
        ),
        warnings.length > 0
          ? [
              h('dt', { text: 'Warnings' }),
              h(
                'dd',
                {},
                h(
                  'ul',
                  { class: 'warnings warnings--card' },
                  warnings.map((w) =>
                    h(
                      'li',
                      { class: ATTENTION_WARNINGS.has(w.code) ? 'warning--attention' : null },
                      w.message,
                    ),
                  ),
                ),
              ),
            ]
          : null,
        h('dt', { text: 'Next check' }),
        h('dd', {}, timeNode(credential.nextCheckAt)),
      ),
      h(
        'div',
        { class: 'actions' },
        recheck,
        edit,
        rotate,
        action('History', 'history', () => openHistory(credential)),
        action('Delete', 'delete', () => confirmDelete(credential), 'small button--danger-quiet'),
      ),
    ),
  );
}

function renderCredentials() {
  $('credential-list').replaceChildren(...state.credentials.map(credentialCard));
  $('credentials-empty').hidden = state.credentials.length > 0;
  $('credentials-more').hidden = !state.nextCursor;
  $('credentials-title').textContent =
    `Credentials (${state.credentials.length}${state.nextCursor ? '+' : ''})`;
}

function upsertCredential(credential, { render = true } = {}) {
  const index = state.credentials.findIndex((c) => c.id === credential.id);
  if (index === -1) state.credentials.unshift(credential);
  else state.credentials[index] = credential;
  if (render) renderCredentials();
}

async function loadCredentials({ more = false } = {}) {
  const query = `limit=50${more && state.nextCursor ? `&cursor=${encodeURIComponent(state.nextCursor)}` : ''}`;
  const answer = ok(await api('GET', `credentials?${query}`));
  const known = new Set(state.credentials.map((c) => c.id));
  state.credentials = more
    ? [...state.credentials, ...answer.data.items.filter((c) => !known.has(c.id))]
    : answer.data.items;
  state.nextCursor = answer.data.nextCursor;
  renderCredentials();
}

/**
 * Re-checks a credential now. The card shows the seconds spent and a "Cancel check" that stops waiting (the
 * server may still finish; Refresh shows the outcome). Focus follows the card's controls unless it moved away.
 */
async function recheckCredential(credential) {
  if (state.rechecks.has(credential.id)) return;
  const controller = new AbortController();
  state.rechecks.set(credential.id, { controller, since: Date.now() });
  renderCredentials();
  cardButton(credential.id, 'cancel-check')?.focus();
  announce(`Re-checking “${credential.name}”…`);
  const focusLost = () => !document.activeElement || document.activeElement === document.body;
  try {
    const answer = ok(
      await api('POST', `credentials/${encodeURIComponent(credential.id)}/validate`, {
        signal: controller.signal,
      }),
    );
    state.rechecks.delete(credential.id);
    upsertCredential(answer.data);
    const report = answer.data.lastCheck;
    announce(
      `Re-checked “${answer.data.name}”: ${report ? verdictText(report) : ''}, status ${STATUSES[answer.data.status]}. ${report?.message ?? ''}`,
    );
  } catch (error) {
    state.rechecks.delete(credential.id);
    renderCredentials();
    if (error?.cancelled)
      announce(
        `Stopped waiting for the re-check of “${credential.name}”. The server may still finish it: Refresh to see the outcome.`,
      );
    else failOnCard(error);
  }
  if (focusLost()) cardButton(credential.id, 'recheck')?.focus();
}

function failOnCard(error) {
  if (error?.status === 404) {
    loadCredentials().catch(showError);
    showError(new ApiError(404, { detail: 'This credential no longer exists; the list was refreshed.' }));
    return;
  }
  showError(error);
}

// ---------------------------------------------------------------------------------------------------------
// Sign-in and start

function signOut(message) {
  state.token = null;
  state.connectors = [];
  state.credentials = [];
  state.nextCursor = null;
  for (const { controller } of state.rechecks.values()) controller.abort();
  state.rechecks.clear();
  sessionStorage.removeItem(TOKEN_KEY);
  closeAllDialogs();
  clearError();
  // Nothing of the tenant's stays in the page once signed out.
  $('connector-tiles').replaceChildren();
  $('credential-list').replaceChildren();
  $('app-view').hidden = true;
  $('session').hidden = true;
  $('sign-in-view').hidden = false;
  const error = $('token-error');
  const input = $('token');
  input.value = '';
  if (message) {
    error.textContent = message;
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
  } else {
    error.textContent = '';
    error.hidden = true;
    input.removeAttribute('aria-invalid');
  }
  input.focus();
}

async function start() {
  const answer = ok(await api('GET', 'connectors'));
  // The API accepted the token: keep it for this tab.
  sessionStorage.setItem(TOKEN_KEY, state.token);
  state.connectors = answer.data.items;
  $('sign-in-view').hidden = true;
  $('app-view').hidden = false;
  $('session').hidden = false;
  renderTiles();
  await loadCredentials();
}

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $('token');
  const error = $('token-error');
  const token = input.value.trim();
  if (!token) {
    error.textContent = 'Enter the API token.';
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  state.token = token;
  try {
    await start();
    announce('Signed in.');
    $('main').focus();
  } catch (failure) {
    if (failure.status === 401) return; // signOut() already explained it
    if (!$('app-view').hidden) return showError(failure); // signed in; only the list failed
    state.token = null;
    error.textContent = failure.problem?.detail ?? String(failure);
    error.hidden = false;
    input.focus();
  }
});

$('sign-out').addEventListener('click', () => {
  signOut();
  announce('Signed out.');
});

$('refresh').addEventListener('click', (event) =>
  busy(event.currentTarget, async () => {
    try {
      await loadCredentials();
      announce(`Credentials refreshed: ${state.credentials.length} shown.`);
    } catch (error) {
      showError(error);
    }
  }),
);

$('load-more').addEventListener('click', (event) =>
  busy(event.currentTarget, () => loadCredentials({ more: true }).catch(showError)),
);

if (state.token) {
  start().catch((error) => {
    if (error.status === 401) return; // back at sign-in, with the reason
    // Signed in but the list failed: say so. Not even the catalogue loaded: start over at sign-in.
    if ($('app-view').hidden) signOut();
    showError(error);
  });
} else {
  signOut();
}
