/**
 * Creating and editing a draft recipe from existing distribution sets: name, version, description,
 * module definitions (match and count queries, the set to install, the image type) and system sets.
 * server-lite validates on save; the recipe page then shows the result.
 */
import { get, type Page, post, put } from '../api.js';
import { type Child, field, fill, h } from '../dom.js';
import type { DistributionSet, ModuleDefinition, Recipe } from '../types.js';
import { errorBox, heading, notify } from '../ui.js';

interface DefinitionInputs {
  fieldset: HTMLFieldSetElement;
  name: HTMLInputElement;
  description: HTMLInputElement;
  match: HTMLInputElement;
  count: HTMLInputElement;
  set: HTMLSelectElement;
  imageType: HTMLInputElement;
}

function wide(el: HTMLElement): HTMLElement {
  el.classList.add('wide');
  return el;
}

function setOptions(sets: DistributionSet[], selected: number | undefined): Child[] {
  return [
    h('option', { value: '' }, 'none: the module is not updated'),
    ...sets.map((d) =>
      h(
        'option',
        { value: d.id, selected: d.id === selected },
        `${d.name} ${d.version} (${d.type}${d.complete ? '' : ', incomplete'})`,
      ),
    ),
  ];
}

export async function renderRecipeForm(main: HTMLElement, id: number | null): Promise<undefined> {
  const sets = (await get<Page<DistributionSet>>('distributionsets?limit=500&sort=name:ASC')).content;
  const existing = id === null ? null : await get<Recipe>(`recipes/${id}`);
  const name = h('input', { name: 'name', required: true, value: existing?.name ?? '' });
  const version = h('input', { name: 'version', required: true, value: existing?.version ?? '' });
  const description = h('input', { name: 'description', value: existing?.description ?? '' });
  const definitions: DefinitionInputs[] = [];
  const defsBox = h('div', { class: 'definitions' });
  const renumber = () =>
    definitions.forEach((d, i) => {
      (d.fieldset.querySelector('legend') as HTMLElement).textContent = `Module definition ${i + 1}`;
    });
  const addDefinition = (m?: ModuleDefinition) => {
    const d: DefinitionInputs = {
      fieldset: h('fieldset', { class: 'definition' }),
      name: h('input', { required: true, value: m?.name ?? '' }),
      description: h('input', { value: m?.description ?? '' }),
      match: h('input', { required: true, spellcheck: 'false', value: m?.match ?? '', class: 'mono' }),
      count: h('input', {
        required: true,
        spellcheck: 'false',
        value: m?.count ?? 'count==1',
        class: 'mono',
      }),
      set: h('select', {}, ...setOptions(sets, m?.distributionSetId)),
      imageType: h('input', { value: m?.metadata?.imageType ?? '' }),
    };
    const remove = h('button', { type: 'button', class: 'link' }, 'Remove this definition');
    remove.addEventListener('click', () => {
      definitions.splice(definitions.indexOf(d), 1);
      d.fieldset.remove();
      renumber();
    });
    fill(
      d.fieldset,
      h('legend', {}, ''),
      h(
        'div',
        { class: 'grid' },
        field('Name', d.name),
        field('Description', d.description),
        wide(
          field(
            'Match query',
            d.match,
            'e.g. attributes.module-id==4711 and attributes.hwVersion=in=(1.7,1.8)',
          ),
        ),
        field('Count query', d.count, 'e.g. count==1, count=ge=1'),
        field('Distribution set', d.set),
        field('Image type (handler)', d.imageType, 'e.g. rawfile, smp-image, uds-flash'),
      ),
      remove,
    );
    definitions.push(d);
    defsBox.appendChild(d.fieldset);
    renumber();
  };
  for (const m of existing?.modules ?? []) addDefinition(m);
  if (definitions.length === 0) addDefinition();
  const add = h('button', { type: 'button' }, 'Add a module definition');
  add.addEventListener('click', () => {
    addDefinition();
    definitions.at(-1)?.name.focus();
  });
  const systemSets = sets.map((d) =>
    h('input', {
      type: 'checkbox',
      value: d.id,
      checked: existing?.systemDistributionSets.includes(d.id) ?? false,
    }),
  );
  const errors = h('div');
  const submit = h('button', { type: 'submit' }, id === null ? 'Create draft' : 'Save draft');
  const form = h(
    'form',
    { class: 'recipe-form' },
    h(
      'div',
      { class: 'grid' },
      field('Name', name),
      field('Version', version),
      field('Description', description),
    ),
    defsBox,
    add,
    h(
      'fieldset',
      {},
      h('legend', {}, 'System distribution sets'),
      sets.length === 0
        ? h('p', { class: 'empty' }, 'No distribution set exists yet.')
        : sets.map((d, i) =>
            h(
              'label',
              { class: 'check' },
              systemSets[i] as HTMLElement,
              ` ${d.name} ${d.version} (${d.type})`,
            ),
          ),
    ),
    errors,
    h(
      'div',
      { class: 'buttons' },
      submit,
      h('a', { href: id === null ? '#/recipes' : `#/recipes/${id}` }, 'Cancel'),
    ),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      name: name.value.trim(),
      version: version.value.trim(),
      description: description.value,
      modules: definitions.map((d) => ({
        name: d.name.value.trim(),
        ...(d.description.value ? { description: d.description.value } : {}),
        match: d.match.value.trim(),
        count: d.count.value.trim(),
        ...(d.set.value ? { distributionSetId: Number(d.set.value) } : {}),
        metadata: d.imageType.value.trim() ? { imageType: d.imageType.value.trim() } : {},
      })),
      systemDistributionSets: systemSets.filter((c) => c.checked).map((c) => Number(c.value)),
    };
    submit.disabled = true;
    errors.replaceChildren();
    try {
      const saved =
        id === null
          ? ((await post<Recipe[]>('recipes', [{ ...body, metadata: {}, tags: [] }]))[0] as Recipe)
          : await put<Recipe>(`recipes/${id}`, body);
      notify(`Recipe ${saved.name} ${saved.version} saved: ${saved.validity}.`);
      location.hash = `#/recipes/${saved.id}`;
    } catch (err) {
      errors.replaceChildren(errorBox(err));
      submit.disabled = false;
    }
  });
  fill(main, heading(id === null ? 'New recipe' : `Edit ${existing?.name} ${existing?.version}`), form);
  return undefined;
}
