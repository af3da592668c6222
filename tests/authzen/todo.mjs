// Replays the AuthZEN Todo interop scenario's decisions (examples/authzen-todo/
// decisions.json: its `evaluation` requests one by one, its `evaluations` batches)
// against a PDP that loaded examples/authzen-todo/policy.yaml.
//
//   node tests/authzen/todo.mjs URL [BEARER]
//   import { replay } from './todo.mjs'      { total, failures }

import { readFileSync } from 'node:fs';

const decisions = JSON.parse(readFileSync(new URL('../../examples/authzen-todo/decisions.json', import.meta.url), 'utf8'));

/** Every decision of the file against `url`; returns `{ total, failures }`. */
export async function replay({ url, headers = {}, fetch = globalThis.fetch }) {
  const failures = [];
  let total = 0;
  const post = async (path, body) => {
    const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const text = await response.text();
    try {
      return { status: response.status, json: JSON.parse(text) };
    } catch {
      return { status: response.status, text };
    }
  };
  for (const { request, expected } of decisions.evaluation) {
    total++;
    const answer = await post('/access/v1/evaluation', request);
    if (answer.status !== 200 || answer.json?.decision !== expected) {
      failures.push({ request, expected, got: answer.json ?? answer.text, status: answer.status });
    }
  }
  for (const { request, expected } of decisions.evaluations) {
    total++;
    const answer = await post('/access/v1/evaluations', request);
    const got = answer.json?.evaluations?.map((e) => ({ decision: e.decision }));
    if (answer.status !== 200 || JSON.stringify(got) !== JSON.stringify(expected)) {
      failures.push({ request, expected, got: answer.json ?? answer.text, status: answer.status });
    }
  }
  return { total, failures };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [, , url, bearer] = process.argv;
  const { total, failures } = await replay({ url, headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  for (const failure of failures) console.log(JSON.stringify(failure));
  console.log(`${total - failures.length} of ${total} decisions as the scenario expects`);
  process.exit(failures.length === 0 ? 0 : 1);
}
