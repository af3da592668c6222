// AuthZEN PDPs under Deno: `deno run --allow-read --allow-net authzen-deno.mjs KEY
// SNAPSHOT BASE_URL [SNAPSHOT BASE_URL ...]` serves each snapshot on a port of its
// own and prints the ports, one JSON array, once all listen.
import { Authorizer } from '../../dist/deno.mjs';
import { authzenHandler } from '../../dist/authzen-deno.mjs';

const [keyFile, ...pairs] = Deno.args;
const snapshotKeys = [JSON.parse(await Deno.readTextFile(keyFile))];
const ports = [];
for (let i = 0; i < pairs.length; i += 2) {
  const authz = Authorizer.load(await Deno.readFile(pairs[i]), { snapshotKeys });
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, authzenHandler(authz, { baseUrl: pairs[i + 1] }));
  ports.push(server.addr.port);
}
console.log(`listening ${JSON.stringify(ports)}`);
