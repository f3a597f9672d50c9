// The Kubernetes manifests, the NATS Helm values and the systemd units, checked here without a
// cluster: a schema of the Kubernetes objects they use (kubeconform is not installable on these
// machines), their cross-references, and `systemd-analyze verify` where it exists.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod';

const ROOT = resolve(import.meta.dirname, '../..');
const K8S = join(ROOT, 'deploy/k8s');
const UNITS = join(ROOT, 'deploy/systemd');

const Name = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
const Labels = z.record(z.string(), z.string());
const Meta = z
  .object({ name: Name, namespace: Name.optional(), labels: Labels.optional() })
  .strict();
const EnvVar = z
  .object({
    name: z.string().regex(/^[A-Z_][A-Z0-9_]*$/),
    value: z.string().optional(),
    valueFrom: z
      .union([
        z.object({ secretKeyRef: z.object({ name: Name, key: z.string() }).strict() }).strict(),
        z.object({ fieldRef: z.object({ fieldPath: z.string() }).strict() }).strict(),
      ])
      .optional(),
  })
  .strict()
  .refine((e) => (e.value === undefined) !== (e.valueFrom === undefined), 'value or valueFrom');
const Container = z
  .object({
    name: Name,
    image: z
      .string()
      .regex(/^[\w./-]+:[\w.-]+$/)
      .refine((i) => !i.endsWith(':latest'), 'a pinned tag'),
    args: z.array(z.string()).min(1),
    env: z.array(EnvVar),
    resources: z.object({
      requests: z.object({ cpu: z.string(), memory: z.string() }).strict(),
      limits: z.object({ memory: z.string() }).strict(),
    }),
    securityContext: z
      .object({
        runAsNonRoot: z.literal(true),
        runAsUser: z.number().int().positive(),
        runAsGroup: z.number().int().positive(),
        allowPrivilegeEscalation: z.literal(false),
        readOnlyRootFilesystem: z.literal(true),
        capabilities: z.object({ drop: z.tuple([z.literal('ALL')]) }).strict(),
      })
      .strict(),
    volumeMounts: z.array(
      z
        .object({
          name: Name,
          mountPath: z.string().startsWith('/'),
          readOnly: z.boolean().optional(),
        })
        .strict(),
    ),
  })
  .strict();
const Volume = z
  .object({
    name: Name,
    emptyDir: z.object({}).strict().optional(),
    configMap: z.object({ name: Name }).strict().optional(),
  })
  .strict();
const PodTemplate = z
  .object({
    metadata: z.object({ labels: Labels }).strict(),
    spec: z
      .object({
        terminationGracePeriodSeconds: z.number().int().positive(),
        securityContext: z.object({
          runAsNonRoot: z.literal(true),
          fsGroup: z.number().int(),
          seccompProfile: z.object({ type: z.literal('RuntimeDefault') }).strict(),
        }),
        containers: z.array(Container).length(1),
        volumes: z.array(Volume),
      })
      .strict(),
  })
  .strict();
const Selector = z.object({ matchLabels: Labels }).strict();
const Deployment = z
  .object({
    apiVersion: z.literal('apps/v1'),
    kind: z.literal('Deployment'),
    metadata: Meta,
    spec: z
      .object({ replicas: z.number().int().positive(), selector: Selector, template: PodTemplate })
      .strict(),
  })
  .strict();
const StatefulSet = z
  .object({
    apiVersion: z.literal('apps/v1'),
    kind: z.literal('StatefulSet'),
    metadata: Meta,
    spec: z
      .object({
        serviceName: Name,
        replicas: z.literal(1),
        selector: Selector,
        template: PodTemplate,
        volumeClaimTemplates: z
          .array(
            z.object({
              metadata: z.object({ name: Name }).strict(),
              spec: z
                .object({
                  accessModes: z.array(z.enum(['ReadWriteOnce', 'ReadWriteOncePod'])),
                  resources: z
                    .object({ requests: z.object({ storage: z.string() }).strict() })
                    .strict(),
                })
                .strict(),
            }),
          )
          .min(1),
      })
      .strict(),
  })
  .strict();
const Service = z
  .object({
    apiVersion: z.literal('v1'),
    kind: z.literal('Service'),
    metadata: Meta,
    spec: z.object({ clusterIP: z.literal('None'), selector: Labels }).strict(),
  })
  .strict();
const Namespace = z
  .object({ apiVersion: z.literal('v1'), kind: z.literal('Namespace'), metadata: Meta })
  .strict();
const Manifest = z.discriminatedUnion('kind', [Deployment, StatefulSet, Service, Namespace]);
type Manifest = z.infer<typeof Manifest>;

function load(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((d) => {
    expect(d.errors, file).toEqual([]);
    return Manifest.parse(d.toJS());
  });
}

describe('Kubernetes manifests', () => {
  const all = [...load('namespace.yaml'), ...load('troupe.yaml')];
  const byKind = (k: string) => all.filter((m) => m.kind === k);

  it('run the team as Deployments and the ledger and witness as StatefulSets with volumes', () => {
    expect(
      byKind('Deployment')
        .map((m) => m.metadata.name)
        .sort(),
    ).toEqual(['troupe-team', 'troupe-worker']);
    const sets = byKind('StatefulSet') as z.infer<typeof StatefulSet>[];
    expect(sets.map((m) => m.metadata.name).sort()).toEqual(['troupe-ledger', 'troupe-witness']);
    for (const s of sets) {
      const mounts = s.spec.template.spec.containers[0]!.volumeMounts.map((v) => v.name);
      expect(mounts).toContain(s.spec.volumeClaimTemplates[0]!.metadata.name);
      // its headless Service exists
      expect(all.some((m) => m.kind === 'Service' && m.metadata.name === s.spec.serviceName)).toBe(
        true,
      );
    }
  });

  it('select their own pods, mount only volumes they define, and run what the image holds', () => {
    for (const m of all) {
      if (m.kind !== 'Deployment' && m.kind !== 'StatefulSet') continue;
      const spec = m.spec;
      expect(spec.template.metadata.labels).toMatchObject(spec.selector.matchLabels);
      const c = spec.template.spec.containers[0]!;
      const defined = new Set([
        ...spec.template.spec.volumes.map((v) => v.name),
        ...(m.kind === 'StatefulSet'
          ? m.spec.volumeClaimTemplates.map((v) => v.metadata.name)
          : []),
      ]);
      for (const v of c.volumeMounts) expect(defined, v.name).toContain(v.name);
      expect(c.args[0]).toBe('up');
      const module = c.args[1]!;
      // dist/ paths come from the build; deploy/processes is copied into the image as is
      const source = module.startsWith('dist/')
        ? module.replace(/^dist\//, '').replace(/\.js$/, '.ts')
        : module;
      expect(existsSync(join(ROOT, source)), module).toBe(true);
      const env = new Map(c.env.map((e) => [e.name, e]));
      expect(env.get('TROUPE_NATS_URL')?.value).toMatch(/^nats:\/\/nats\./);
      expect(env.get('TROUPE_NATS_PASS')?.valueFrom).toEqual({
        secretKeyRef: { name: 'troupe-nats', key: 'app-pass' },
      });
      expect(m.metadata.namespace).toBe('troupe');
    }
  });

  it('the schema rejects a manifest that breaks it (so the checks above mean something)', () => {
    const [, team] = load('troupe.yaml') as [Manifest, z.infer<typeof Deployment>];
    const broken = structuredClone(team) as unknown as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    broken.spec.template.spec.containers[0]!.image = 'troupe:latest';
    expect(Manifest.safeParse(broken).success).toBe(false);
    expect(
      Manifest.safeParse({ ...team, spec: { ...team.spec, selector: undefined } }).success,
    ).toBe(false);
  });

  it('the NATS Helm values: a 3-node JetStream cluster with route auth and an application account', () => {
    const v = parse(readFileSync(join(K8S, 'nats-values.yaml'), 'utf8')) as {
      config: {
        cluster: {
          enabled: boolean;
          replicas: number;
          routeURLs: { user: string; password: string };
        };
        jetstream: { enabled: boolean; fileStore: { pvc: { enabled: boolean; size: string } } };
        merge: { accounts: Record<string, { users: { user: string }[] }>; system_account: string };
      };
      container: {
        env: Record<string, { valueFrom: { secretKeyRef: { name: string; key: string } } }>;
      };
    };
    expect(v.config.cluster).toMatchObject({ enabled: true, replicas: 3 });
    expect(v.config.cluster.routeURLs.user).toBe('route');
    expect(v.config.jetstream.enabled).toBe(true);
    expect(v.config.jetstream.fileStore.pvc.enabled).toBe(true);
    expect(v.config.merge.accounts.APP?.users[0]?.user).toBe('troupe');
    expect(v.config.merge.system_account).toBe('SYS');
    // every `<< $VAR >>` the config uses is set from the secret
    const text = readFileSync(join(K8S, 'nats-values.yaml'), 'utf8');
    const used = [...text.matchAll(/<< \$(\w+) >>/g)].map((m) => m[1]!);
    expect(used.length).toBe(3);
    for (const u of used)
      expect(v.container.env[u]?.valueFrom.secretKeyRef.name).toBe('troupe-nats');
  });
});

describe('systemd units', () => {
  const units = readdirSync(UNITS).filter((f) => f.endsWith('.service'));
  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).status === 0;

  it('ship a worker (template), a ledger and a witness unit', () => {
    expect(units.sort()).toEqual([
      'troupe-ledger.service',
      'troupe-witness.service',
      'troupe-worker@.service',
    ]);
  });

  for (const unit of units) {
    it(`${unit} is well-formed (systemd-analyze verify where it exists)`, () => {
      const text = readFileSync(join(UNITS, unit), 'utf8');
      expect(text).toMatch(/^\[Unit\]$/m);
      expect(text).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/troupe\/bin\/troupe\.js up /m);
      expect(text).toMatch(/^User=troupe$/m);
      expect(text).toMatch(/^NoNewPrivileges=yes$/m);
      expect(text).toMatch(/^WantedBy=multi-user\.target$/m);
      if (!analyze) return;
      const dir = mkdtempSync(join(tmpdir(), 'troupe-units-'));
      const name = unit.replace('@.service', '@1.service');
      copyFileSync(join(UNITS, unit), join(dir, name));
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, name)], {
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr.trim(), r.stderr).toBe('');
    });
  }

  it('verify finds a broken unit (so the check above means something)', () => {
    if (!analyze) return;
    const dir = mkdtempSync(join(tmpdir(), 'troupe-units-'));
    writeFileSync(
      join(dir, 'broken.service'),
      '[Service]\nExecStart=/nonexistent/troupe\nFrobnicate=yes\n',
    );
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, 'broken.service')], {
      encoding: 'utf8',
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Frobnicate|not executable/);
  });
});
