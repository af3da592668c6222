// An AuthZEN PDP under workerd: the snapshot, its key and the PDP's public base URL
// are bindings; the handler answers every request.
import { Authorizer } from 'tessera-authz';
import { authzenHandler } from 'tessera-authz/authzen';

let handler;

export default {
  fetch(request, env) {
    handler ??= authzenHandler(
      Authorizer.load(new Uint8Array(env.SNAPSHOT), { snapshotKeys: [JSON.parse(env.SNAPSHOT_KEY)] }),
      { baseUrl: env.BASE_URL },
    );
    return handler(request);
  },
};
