/**
 * Software: software modules with their artifacts (upload with a progress bar), distribution sets, and
 * forms to create both for users with MODULE_RESPONSIBLE.
 */
import { get, type Page, post, upload } from '../api.js';
import { field, fill, h, table } from '../dom.js';
import { badge, bytes } from '../format.js';
import { watch } from '../live.js';
import { may } from '../session.js';
import type { Artifact, DistributionSet, SoftwareModule, TypeEntry } from '../types.js';
import { errorBox, heading, notify } from '../ui.js';

function uploadForm(sm: SoftwareModule, done: () => Promise<void>): HTMLElement {
  const file = h('input', { type: 'file', required: true, name: 'artifact' });
  const bar = h('progress', { max: 100, value: 0, 'aria-label': 'Upload progress' });
  const status = h('span', { class: 'bar-text', 'aria-live': 'polite' }, '');
  const errors = h('div');
  const submit = h('button', { type: 'submit' }, 'Upload artifact');
  const form = h(
    'form',
    { class: 'upload' },
    field(`Artifact file for ${sm.name} ${sm.version}`, file),
    h('div', { class: 'bar' }, bar, status),
    errors,
    submit,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = file.files?.[0];
    if (!f) return;
    submit.disabled = true;
    errors.replaceChildren();
    bar.value = 0;
    try {
      const a = await upload<Artifact>(`softwaremodules/${sm.id}/artifacts`, f, (sent, total) => {
        bar.value = total > 0 ? Math.round((sent / total) * 100) : 0;
        status.textContent = `${bytes(sent)} of ${bytes(total)}`;
      });
      bar.value = 100;
      status.textContent = `Uploaded ${a.filename}: ${bytes(a.size)}, SHA-256 ${a.hashes.sha256}`;
      form.dataset.uploaded = a.filename;
      notify(`Artifact ${a.filename} uploaded.`);
      await done();
    } catch (err) {
      errors.replaceChildren(errorBox(err));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

async function artifactsPanel(panel: HTMLElement, sm: SoftwareModule): Promise<void> {
  const list = h('div');
  const load = async () => {
    const artifacts = await get<Artifact[] | Page<Artifact>>(`softwaremodules/${sm.id}/artifacts`);
    const items = Array.isArray(artifacts) ? artifacts : artifacts.content;
    fill(
      list,
      table<Artifact>(
        `Artifacts of ${sm.name} ${sm.version}`,
        [
          { head: 'File', cell: (a) => a.filename },
          { head: 'Size', cell: (a) => bytes(a.size) },
          { head: 'SHA-256', cell: (a) => h('code', { class: 'hash' }, a.hashes.sha256) },
        ],
        items,
      ),
    );
  };
  fill(
    panel,
    h('h3', { tabindex: '-1' }, `Artifacts of ${sm.name} ${sm.version}`),
    list,
    may('MODULE_RESPONSIBLE') ? uploadForm(sm, load) : null,
  );
  await load();
  (panel.querySelector('h3') as HTMLElement).focus();
}

function createModuleForm(types: TypeEntry[], done: () => Promise<void>): HTMLElement {
  const name = h('input', { required: true });
  const version = h('input', { required: true });
  const type = h('select', {}, ...types.map((t) => h('option', { value: t.key }, t.name)));
  const vendor = h('input', {});
  const errors = h('div');
  const form = h(
    'form',
    { class: 'grid-form' },
    h('h3', {}, 'New software module'),
    h(
      'div',
      { class: 'grid' },
      field('Name', name),
      field('Version', version),
      field('Type', type),
      field('Vendor', vendor),
    ),
    errors,
    h('button', { type: 'submit' }, 'Create software module'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    errors.replaceChildren();
    try {
      await post('softwaremodules', [
        { name: name.value.trim(), version: version.value.trim(), type: type.value, vendor: vendor.value },
      ]);
      notify(`Software module ${name.value} created.`);
      form.reset();
      await done();
    } catch (err) {
      errors.replaceChildren(errorBox(err));
    }
  });
  return form;
}

function createSetForm(
  types: TypeEntry[],
  modules: SoftwareModule[],
  done: () => Promise<void>,
): HTMLElement {
  const name = h('input', { required: true });
  const version = h('input', { required: true });
  const type = h('select', {}, ...types.map((t) => h('option', { value: t.key }, t.name)));
  const boxes = modules.map((m) => h('input', { type: 'checkbox', value: m.id }));
  const errors = h('div');
  const form = h(
    'form',
    { class: 'grid-form' },
    h('h3', {}, 'New distribution set'),
    h('div', { class: 'grid' }, field('Name', name), field('Version', version), field('Type', type)),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Software modules'),
      ...modules.map((m, i) =>
        h('label', { class: 'check' }, boxes[i] as HTMLElement, ` ${m.name} ${m.version} (${m.type})`),
      ),
    ),
    errors,
    h('button', { type: 'submit' }, 'Create distribution set'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    errors.replaceChildren();
    try {
      await post('distributionsets', [
        {
          name: name.value.trim(),
          version: version.value.trim(),
          type: type.value,
          modules: boxes.filter((b) => b.checked).map((b) => ({ id: Number(b.value) })),
        },
      ]);
      notify(`Distribution set ${name.value} created.`);
      form.reset();
      await done();
    } catch (err) {
      errors.replaceChildren(errorBox(err));
    }
  });
  return form;
}

export async function renderSoftware(main: HTMLElement): Promise<() => void> {
  const modulesBox = h('div');
  const panel = h('div', { class: 'panel' });
  const setsBox = h('div');
  const formsBox = h('div', { class: 'forms' });
  const [smTypes, dsTypes] = await Promise.all([
    get<Page<TypeEntry>>('softwaremoduletypes?limit=500'),
    get<Page<TypeEntry>>('distributionsettypes?limit=500'),
  ]);
  const load = async (forms = true) => {
    try {
      const [modules, sets] = await Promise.all([
        get<Page<SoftwareModule>>('softwaremodules?limit=500&sort=name:ASC'),
        get<Page<DistributionSet>>('distributionsets?limit=500&sort=name:ASC'),
      ]);
      fill(
        modulesBox,
        table<SoftwareModule>(
          'Software modules',
          [
            { head: 'Name', cell: (m) => m.name },
            { head: 'Version', cell: (m) => m.version },
            { head: 'Type', cell: (m) => m.type },
            { head: 'Vendor', cell: (m) => m.vendor ?? '' },
            {
              head: 'Artifacts',
              cell: (m) => {
                const b = h(
                  'button',
                  { type: 'button', class: 'link', 'aria-label': `Artifacts of ${m.name} ${m.version}` },
                  'Artifacts',
                );
                b.addEventListener(
                  'click',
                  () => void artifactsPanel(panel, m).catch((err) => fill(panel, errorBox(err))),
                );
                return b;
              },
            },
          ],
          modules.content,
        ),
      );
      fill(
        setsBox,
        table<DistributionSet>(
          'Distribution sets',
          [
            { head: 'Name', cell: (d) => d.name },
            { head: 'Version', cell: (d) => d.version },
            { head: 'Type', cell: (d) => d.type },
            { head: 'Complete', cell: (d) => badge(d.complete ? 'complete' : 'incomplete', 'validity') },
            {
              head: 'Software modules',
              cell: (d) => d.modules.map((m) => `${m.name} ${m.version}`).join(', '),
            },
          ],
          sets.content,
        ),
      );
      if (forms && may('MODULE_RESPONSIBLE'))
        fill(
          formsBox,
          createModuleForm(smTypes.content, load),
          createSetForm(dsTypes.content, modules.content, load),
        );
    } catch (err) {
      fill(modulesBox, errorBox(err));
    }
  };
  fill(
    main,
    heading('Software'),
    h(
      'section',
      { 'aria-labelledby': 'h-sm' },
      h('h2', { id: 'h-sm' }, 'Software modules'),
      modulesBox,
      panel,
    ),
    h('section', { 'aria-labelledby': 'h-ds' }, h('h2', { id: 'h-ds' }, 'Distribution sets'), setsBox),
    formsBox,
  );
  await load();
  return watch(
    (c) => c.scope === 'fleet',
    () => void load(false),
  );
}
