/**
 * JSON Schema validation, the one way the project builds it: every validator comes from an Ajv made by
 * `createAjv`. Those the agent runs (its configuration, the recipe file, the Install API documents,
 * offline bundle indexes, MQTT messages) at build time: scripts/gen-validators.mjs → src/generated/.
 * The simulator configuration's and server-lite's request bodies' at run time. Every message names the
 * failing value by its key path (`keyPath`, src/lib/key-path.ts), never by a raw JSON pointer.
 */
import { Ajv, type Options } from 'ajv';
import * as ajvFormats from 'ajv-formats';

export interface AjvSettings {
  /** Report every fault (configuration files: all of them at once), or stop at the first. */
  allErrors?: boolean;
  /** Ajv's strict mode: refuse unknown keywords and ambiguous schemas (the shipped recipe schema). */
  strict?: boolean;
  /** Fill in `default` values while validating. */
  useDefaults?: boolean;
  /** `discriminator` keyword (OpenAPI style `oneOf` by a property). */
  discriminator?: boolean;
  /** `type: [..]` unions under strict mode. */
  allowUnionTypes?: boolean;
  /** The `format` keywords of ajv-formats (date-time, uri, …). */
  formats?: boolean;
  /**
   * Keep each validator's source, for Ajv's standalone code as an ES module (`ajv/dist/standalone`:
   * scripts/gen-validators.mjs writes src/generated/ with it at build time).
   */
  standalone?: boolean;
}

type FormatsPlugin = (ajv: Ajv) => Ajv;
const addFormats = (ajvFormats as unknown as { default: FormatsPlugin }).default;

/** A new Ajv: first fault only, not strict, unless the settings say otherwise. */
export function createAjv(settings: AjvSettings = {}): Ajv {
  const options: Options = {
    allErrors: settings.allErrors ?? false,
    strict: settings.strict ?? false,
    useDefaults: settings.useDefaults ?? false,
    discriminator: settings.discriminator ?? false,
    allowUnionTypes: settings.allowUnionTypes ?? false,
  };
  if (settings.standalone === true) options.code = { source: true, esm: true, lines: true };
  const ajv = new Ajv(options);
  if (settings.formats === true) addFormats(ajv);
  return ajv;
}
