// Serves the repository on http://127.0.0.1:8080 (PORT to change) so the page can
// load the package from /js/dist and the demo snapshot from /examples/demo-snapshot.
import { fileURLToPath } from 'node:url';
import { serveStatic } from '../../js/test/static-server.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { url } = await serveStatic(root, Number(process.env.PORT ?? 8080));
console.log(`open ${url}/examples/browser-page/`);
