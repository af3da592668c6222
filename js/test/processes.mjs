// Processes the suites start (servers under Node, Deno, workerd): started, waited
// for, and stopped with the suite.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { after } from 'node:test';

const children = [];
after(() => children.forEach((child) => child.kill()));

/** Starts a process and resolves once a line of its output matches `ready`. */
export function start(command, args, cwd, ready, env = {}) {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const look = (chunk) => {
      output += chunk;
      const match = ready.exec(output);
      if (match) resolve(match);
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.on('exit', (code) => reject(new Error(`${command} exited ${code}: ${output}`)));
  });
}

/**
 * Starts a server that prints nothing when it is up (workerd) and resolves once
 * `url` answers, within 15 s.
 */
export async function startAnswering(command, args, cwd, url) {
  const child = spawn(command, args, { cwd, stdio: 'inherit' });
  children.push(child);
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`${command} exited ${child.exitCode}`);
    if (await fetch(url).then(() => true, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${command} did not answer within 15 s`);
}

/**
 * A free port for workerd, which cannot be told to pick one and report it. Taken
 * below Linux's ephemeral range (32768 and up), so no server that other suites start
 * on port 0 can be handed the same port between this check and workerd's bind.
 */
export async function freePort() {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise((resolve) => {
      const server = createServer().once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}
