/**
 * The MQTT local API (`agent.md`, "Local API"): topics under `<topicPrefix>/<controllerId>/`.
 *
 * | topic               | direction | payload                                                          |
 * |---------------------|-----------|------------------------------------------------------------------|
 * | `status`            | out, retained | the `status --json` document                                 |
 * | `events`            | out       | `{type, at, …}` one per event (phase changes, errors)            |
 * | `consent/request`   | out, retained while pending | `{actionId, recipe:{id,name,version}, releaseNotes, licenses, deadline?}` |
 * | `consent/response`  | in        | `{actionId, decision: "accept"|"deny", by}`                      |
 * | `command`           | in        | `{command:"check"}` or `{command:"install", bundle:"/path"}`     |
 */
export interface LocalApiTopics {
  status: string;
  events: string;
  consentRequest: string;
  consentResponse: string;
  command: string;
}

export function localApiTopics(topicPrefix: string, controllerId: string): LocalApiTopics {
  const base = `${topicPrefix.replace(/\/+$/, '')}/${controllerId}`;
  return {
    status: `${base}/status`,
    events: `${base}/events`,
    consentRequest: `${base}/consent/request`,
    consentResponse: `${base}/consent/response`,
    command: `${base}/command`,
  };
}
