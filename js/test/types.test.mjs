// The TypeScript declarations: a consumer that uses the whole API (and three misuses
// marked @ts-expect-error) compiles with `tsc --strict`, resolved through the
// package's exports map like a user's project.
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

test('the declarations type the API and refuse misuse (tsc --strict)', () => {
  const js = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(`${js}node_modules/.bin/tsc`, ['-p', 'test/types/tsconfig.json'], { cwd: js, stdio: 'inherit' });
});
