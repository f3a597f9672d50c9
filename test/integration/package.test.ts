// The package as a user gets it: `npm pack`, installed into a fresh `npm init -y` project (npm
// 11 writes "type": "commonjs" there) that has no TypeScript loader of its own.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// npm installs from the local cache on a loaded 2-core machine: minutes, not seconds.
const SLOW = 300_000;

let dir: string;
let app: string;
let tarball: string;

async function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  try {
    return await run(cmd, args, {
      cwd,
      env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', ...env },
      timeout: SLOW,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout}\n${e.stderr}`);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'troupe-pack-'));
  // dist/ is fresh (vitest's global setup builds it); the tarball takes it as it is.
  const packed = await sh(
    NPM,
    ['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
    ROOT,
  );
  const info = JSON.parse(packed.stdout) as { filename: string }[];
  tarball = join(dir, info[0]!.filename);
  app = join(dir, 'app');
  mkdirSync(app);
  await sh(NPM, ['init', '-y'], app);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  await sh(
    NPM,
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      tarball,
      `typescript@${pkg.devDependencies.typescript}`,
      `@types/node@${pkg.devDependencies['@types/node']}`,
    ],
    app,
  );
}, SLOW * 2);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('npm pack', () => {
  it(
    'ships compiled JavaScript and declarations, not sources, tests or benchmarks',
    async () => {
      const listed = await sh('tar', ['tzf', tarball], dir);
      const files = listed.stdout.split('\n').filter(Boolean);
      expect(files).toContain('package/dist/index.js');
      expect(files).toContain('package/dist/index.d.ts');
      expect(files).toContain('package/dist/deploy/cli.js');
      expect(files).toContain('package/bin/troupe.js');
      expect(
        files.filter((f) => /^package\/(test|bench|examples|runtime|deploy)\//.test(f)),
      ).toEqual([]);
      expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
      const appPkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as {
        type?: string;
        dependencies: Record<string, string>;
      };
      expect(appPkg.dependencies.tsx).toBeUndefined(); // the user brings no loader
      // `npm ci` and `npm pack` build dist/ through these lifecycle scripts
      const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      };
      expect(own.scripts.prepare).toMatch(/npm run build/);
    },
    SLOW,
  );

  it(
    'imports from a plain .mjs with Node alone (the whole API and the runtime subpath)',
    async () => {
      writeFileSync(
        join(app, 'plain.mjs'),
        [
          "import { ActorSystem, defineActor, defineTroupe } from 'troupe';",
          "import { ActorSystem as Kernel } from 'troupe/runtime';",
          "console.log([typeof ActorSystem.start, typeof defineActor, typeof defineTroupe, Kernel === ActorSystem].join(' '));",
          '',
        ].join('\n'),
      );
      const r = await sh(process.execPath, ['plain.mjs'], app);
      expect(r.stdout.trim()).toBe('function function function true');
    },
    SLOW,
  );

  it(
    'type-checks a TypeScript user module with plain tsc: 0 errors',
    async () => {
      copyFileSync(join(ROOT, 'examples/counter/counter.ts'), join(app, 'counter.ts'));
      writeFileSync(
        join(app, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            lib: ['ES2023', 'ESNext.Disposable'],
            module: 'nodenext',
            moduleResolution: 'nodenext',
            strict: true,
            noEmit: true,
            types: ['node'],
          },
          include: ['*.ts'],
        }),
      );
      const r = await sh(
        process.execPath,
        [join(app, 'node_modules/typescript/bin/tsc'), '-p', '.'],
        app,
      );
      expect(r.stdout).toBe('');
    },
    SLOW,
  );

  it(
    '`npx troupe up` runs a TypeScript module in the CommonJS project and in an ESM one',
    async () => {
      copyFileSync(join(ROOT, 'examples/counter/counter.ts'), join(app, 'counter.ts'));
      const cjs = await sh('npx', ['--no-install', 'troupe', 'up', 'counter.ts', '--once'], app, {
        TROUPE_LOG_LEVEL: 'silent',
      });
      expect(cjs.stdout).toContain('counter = 42');
      mkdirSync(join(app, 'esm'), { recursive: true });
      writeFileSync(join(app, 'esm/package.json'), '{"type":"module"}');
      copyFileSync(join(ROOT, 'examples/counter/counter.ts'), join(app, 'esm/counter.ts'));
      const esm = await sh(
        'npx',
        ['--no-install', 'troupe', 'up', 'esm/counter.ts', '--once'],
        app,
        {
          TROUPE_LOG_LEVEL: 'silent',
        },
      );
      expect(esm.stdout).toContain('counter = 42');
      const v = await sh('npx', ['--no-install', 'troupe', '--version'], app);
      expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    },
    SLOW,
  );
});
