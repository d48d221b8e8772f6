/**
 * One recipe: its facts and lifecycle buttons (only transitions the recipe allows and the user may do),
 * module definitions, validation results with the failing field and position, the recipe file and its
 * signatures (with an upload form while the recipe accepts signatures).
 */
import { get, type Page, post, text } from '../api.js';
import { coverageIcon } from '../coverage.js';
import { field, fill, h, table } from '../dom.js';
import { badge } from '../format.js';
import { watch } from '../live.js';
import { currentUser, may, type Transition } from '../session.js';
import type { DistributionSet, ModuleDefinition, Recipe, ValidationIssue } from '../types.js';
import { actionButton, errorBox, heading, notify } from '../ui.js';

const ACCEPTS_SIGNATURES = [
  'WAITING_FOR_SIGNATURE',
  'RELEASE_CANDIDATE',
  'WAITING_FOR_APPROVAL',
  'RELEASED',
  'INACTIVE',
];
const LABELS: Record<Transition, string> = {
  promote: 'Promote',
  demote: 'Demote to draft',
  release: 'Release',
  approve: 'Approve',
  deactivate: 'Deactivate',
  revoke: 'Revoke',
};

/** The query a validation issue points into (`modules[0].match`), if any. */
function queryOf(r: Recipe, fieldPath: string): string | undefined {
  const m = /^modules\[(\d+)\]\.(match|count)$/.exec(fieldPath);
  if (!m) return undefined;
  const def = r.modules[Number(m[1])];
  return def?.[m[2] as 'match' | 'count'];
}

function pointAt(query: string, position: number): HTMLElement {
  const at = Math.min(Math.max(position, 0), query.length);
  return h(
    'code',
    { class: 'query' },
    query.slice(0, at),
    h('mark', { title: `position ${position}` }, query.slice(at, at + 1) || ' '),
    query.slice(at + 1),
  );
}

function validation(r: Recipe): HTMLElement {
  return table<ValidationIssue>(
    'Validation results',
    [
      { head: 'Severity', cell: (i) => badge(i.severity, 'severity') },
      { head: 'Field', cell: (i) => h('code', {}, i.field) },
      { head: 'Position', cell: (i) => (i.position === undefined ? '' : String(i.position)) },
      {
        head: 'Where',
        cell: (i) => {
          const q = queryOf(r, i.field);
          return q === undefined ? '' : i.position === undefined ? h('code', {}, q) : pointAt(q, i.position);
        },
      },
      { head: 'Message', cell: (i) => i.message },
    ],
    r.validationResult,
    r.validity === 'VALID' ? 'the recipe is valid.' : 'no result.',
  );
}

function setName(sets: Map<number, DistributionSet>, id: number | undefined): string {
  if (id === undefined) return 'none (not updated)';
  const ds = sets.get(id);
  return ds ? `${ds.name} ${ds.version} (#${id})` : `#${id} (does not exist)`;
}

function jwsHeader(value: string): { alg?: string; kid?: string } {
  try {
    const b64 = (value.split('.')[0] ?? '').replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(b64)) as { alg?: string; kid?: string };
  } catch {
    return {};
  }
}

function signatureForm(r: Recipe, done: () => Promise<void>): HTMLElement {
  const file = h('input', { type: 'file', accept: '.jws,.txt,application/jose' });
  const value = h('textarea', { rows: 3, spellcheck: 'false', name: 'jws' });
  const errors = h('div');
  const submit = h('button', { type: 'submit' }, 'Upload signature');
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (f) value.value = (await f.text()).trim();
  });
  const form = h(
    'form',
    { class: 'signature-form' },
    field('Signature file', file),
    field(
      'Signature (compact JWS, detached payload)',
      value,
      'Sign the recipe file exactly as served, e.g. soup-agent sign --key KEY --kid KID recipe.json',
    ),
    errors,
    submit,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    errors.replaceChildren();
    try {
      await post(`recipes/${r.id}/signatures`, { format: 'jws', value: value.value.trim() });
      value.value = '';
      file.value = '';
      notify('Signature stored.');
      await done();
    } catch (err) {
      errors.replaceChildren(errorBox(err));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export async function renderRecipe(main: HTMLElement, id: number): Promise<() => void> {
  const errors = h('div');
  const body = h('div');
  let fileShown: string | null = null;
  let fileUrl: string | null = null;
  let sigForm: HTMLElement | null = null;
  const fileBox = h('div');
  const load = async () => {
    let r: Recipe;
    let sets: Map<number, DistributionSet>;
    let signatures: { id: number; format: string; value: string }[] = [];
    try {
      r = await get<Recipe>(`recipes/${id}`);
      sets = new Map(
        (await get<Page<DistributionSet>>('distributionsets?limit=500')).content.map((d) => [d.id, d]),
      );
      if (r.fileSha256)
        signatures = (await get<{ signatures: typeof signatures }>(`recipes/${id}/signatures`)).signatures;
    } catch (err) {
      fill(errors, errorBox(err));
      return;
    }
    // the same form across refreshes, so that a signature being pasted survives a change elsewhere
    if (!ACCEPTS_SIGNATURES.includes(r.lifecycle) || !may('SYSTEM_RESPONSIBLE')) sigForm = null;
    else sigForm ??= signatureForm(r, load);
    const me = currentUser();
    const buttons = r.allowedTransitions
      .filter((t): t is Transition => t in LABELS && me.transitions[t as Transition] === true)
      .map((t) =>
        actionButton(
          LABELS[t],
          async () => {
            await post(`recipes/${id}/${t}`);
            notify(`Recipe ${r.name} ${r.version}: ${t} done.`);
            await load();
          },
          errors,
          { 'data-transition': t },
        ),
      );
    if (may('SYSTEM_RESPONSIBLE'))
      buttons.push(
        actionButton(
          'Validate',
          async () => {
            await post(`recipes/${id}/validate`);
            await load();
          },
          errors,
        ),
      );
    if (r.fileSha256 && fileShown !== r.fileSha256) {
      const bytes = await text(`recipes/${id}/file`);
      fileShown = r.fileSha256;
      if (fileUrl) URL.revokeObjectURL(fileUrl);
      fileUrl = URL.createObjectURL(new Blob([bytes], { type: 'application/json' }));
      const href = fileUrl;
      fill(
        fileBox,
        h(
          'p',
          {},
          `SHA-256 ${r.fileSha256} · `,
          h('a', { href, download: `recipe-${r.name}-${r.version}.json` }, 'Download the recipe file'),
        ),
        h(
          'pre',
          { class: 'file', tabindex: '0', 'aria-label': 'Recipe file', 'data-testid': 'recipe-file' },
          bytes,
        ),
      );
    } else if (!r.fileSha256) {
      fileShown = null;
      fill(fileBox, h('p', { class: 'empty' }, 'The recipe file is generated when the recipe is promoted.'));
    }
    const row = (k: string, v: Node | string) => [h('dt', {}, k), h('dd', {}, v)];
    fill(
      body,
      h(
        'div',
        { class: 'buttons', role: 'group', 'aria-label': 'Lifecycle', 'data-testid': 'lifecycle-buttons' },
        ...buttons,
        r.lifecycle === 'DRAFT' && may('SYSTEM_RESPONSIBLE')
          ? h('a', { class: 'button', href: `#/recipes/${id}/edit` }, 'Edit')
          : null,
      ),
      h(
        'dl',
        { class: 'facts' },
        row('Lifecycle', badge(r.lifecycle, 'lifecycle')),
        row('Validity', badge(r.validity, 'validity')),
        row(
          'Coverage',
          h(
            'span',
            { class: 'coverage' },
            coverageIcon(r.coverage.class),
            ` ${r.coverage.matched} of ${r.coverage.total} systems`,
          ),
        ),
        row('Description', r.description || '—'),
        row('Published', r.published ?? 'not yet'),
        row('Tags', r.tags.join(', ') || '—'),
      ),
      h(
        'section',
        { 'aria-labelledby': 'h-validation' },
        h('h2', { id: 'h-validation' }, 'Validation'),
        validation(r),
      ),
      h(
        'section',
        { 'aria-labelledby': 'h-defs' },
        h('h2', { id: 'h-defs' }, 'Module definitions'),
        table<ModuleDefinition>(
          'Module definitions',
          [
            { head: 'Name', cell: (m) => m.name },
            { head: 'Match', cell: (m) => h('code', {}, m.match) },
            { head: 'Count', cell: (m) => h('code', {}, m.count) },
            { head: 'Distribution set', cell: (m) => setName(sets, m.distributionSetId) },
            { head: 'Image type', cell: (m) => m.metadata?.imageType ?? '' },
          ],
          r.modules,
        ),
        table<number>(
          'System distribution sets',
          [{ head: 'Distribution set', cell: (d) => setName(sets, d) }],
          r.systemDistributionSets,
        ),
      ),
      h(
        'section',
        { 'aria-labelledby': 'h-sigs' },
        h('h2', { id: 'h-sigs' }, 'Signatures'),
        table<(typeof signatures)[number]>(
          'Signatures',
          [
            { head: 'Id', cell: (g) => String(g.id) },
            { head: 'Key id', cell: (g) => jwsHeader(g.value).kid ?? '?' },
            { head: 'Algorithm', cell: (g) => jwsHeader(g.value).alg ?? '?' },
            {
              head: 'Value',
              cell: (g) => h('code', { class: 'jws', title: g.value }, `${g.value.slice(0, 24)}…`),
            },
          ],
          signatures,
        ),
        sigForm,
      ),
    );
    title.textContent = `Recipe ${r.name} ${r.version}`;
    main.dataset.lifecycle = r.lifecycle;
    main.dataset.validity = r.validity;
  };
  const title = h('span', {}, `Recipe ${id}`);
  fill(
    main,
    heading(title),
    h('p', {}, h('a', { href: '#/recipes' }, '← All recipes')),
    errors,
    body,
    h('section', { 'aria-labelledby': 'h-file' }, h('h2', { id: 'h-file' }, 'Recipe file'), fileBox),
  );
  await load();
  return watch(
    (c) => c.scope === 'fleet',
    () => void load(),
  );
}
