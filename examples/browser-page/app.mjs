// Loads the signed demo snapshot, verifies it in the page, and answers as you type.
import { Authorizer } from 'tessera-authz';

const $ = (id) => document.getElementById(id);
const [bytes, key] = await Promise.all([
  fetch('/examples/demo-snapshot/demo.snapshot').then((r) => r.arrayBuffer()),
  fetch('/examples/demo-snapshot/demo-key.pub.json').then((r) => r.json()),
]);
const authz = Authorizer.load(bytes, { snapshotKeys: [key] });
$('loaded').textContent = `Snapshot revision ${authz.revision} of tenant ${authz.tenant}: roles ${authz.roles().join(', ')}.`;

function explain(d) {
  switch (d.reason) {
    case 'granted': return `allowed: role ${d.role} grants ${d.pattern}`;
    case 'denied': return `denied: role ${d.role} denies ${d.pattern}`;
    case 'unknown_user': return 'denied: no such user';
    default: return 'denied: no role of theirs grants it';
  }
}

function answer() {
  const out = $('answer');
  try {
    const decision = authz.check($('user').value, $('permission').value);
    out.className = decision.allowed ? 'allowed' : 'denied';
    out.textContent = explain(decision);
  } catch (error) {
    out.className = '';
    out.textContent = `${error.code}: ${error.message}`;
  }
}

$('user').addEventListener('input', answer);
$('permission').addEventListener('input', answer);
answer();
