/**
 * The recipe file (`docs/protocols.md`, "Recipe file"): SWUpdate sw-description JSON with SOUP additions
 * (keys starting with `_`). server-lite generates it at promote; the agent verifies and consumes it.
 * Ids are decimal strings; all attribute values are strings.
 */

/** A MongoDB-style query document restricted to `$eq $ne $lt $lte $gt $gte $in $nin $and`. */
export type MongoQuery = Record<string, unknown>;

export interface RecipeFileArtifact {
  id: string;
  /** Software module type key of the artifact's software module (firmware, preinstall, releasenotes…). */
  type: string;
  byteSize: number;
  filename: string;
  sha256: string;
}

export interface RecipeFileModule {
  name: string;
  description: string;
  match: MongoQuery;
  matchCount: { count: MongoQuery };
}

export interface RecipeFileImage {
  _module: RecipeFileModule;
  _software: { softwareId: string; name: string; artifacts: RecipeFileArtifact[] };
  /** Handler key (`agent.md`): smp-image, uds-flash, rawfile, raw, dummy… */
  type: string;
  filename: string;
  /** The distribution set's version: the module's target swVersion. */
  version: string;
  sha256: string;
}

export interface RecipeFile {
  _recipe: {
    id: string;
    'schema-version': string;
    name: string;
    description: string;
    /** ISO 8601 UTC: the promote instant. */
    published: string;
    versionProperties: string[];
  };
  software: {
    version: string;
    'hardware-compatibility'?: string[];
    scripts?: RecipeFileArtifact[];
    images?: RecipeFileImage[];
    _noImage?: { _module: RecipeFileModule }[];
    _systemArtifacts?: { softwareId: string; name: string; artifacts: RecipeFileArtifact[] }[];
  };
}

/** One module of a system report (`install-api.md`, PUT systemReport). */
export interface ReportedModule {
  /** Serial number where the module gives one, else `<controllerId>/<name>`; the gateway's is the controllerId. */
  id: string;
  /** The module-id attribute where there is one, `gateway` for the gateway, else `unknown`. */
  type: string;
  /** Configured name, stable across reports. */
  name: string;
  attributes: Record<string, string>;
  status?: 'unreachable';
}

export interface SystemReport {
  /** ISO 8601 UTC. */
  timestamp: string;
  gatewayId: string;
  modules: ReportedModule[];
}
