// The files npm run new:module writes for a module: a small stored resource (list, create, get by id),
// shaped like src/modules/users (tables.ts, a store on its ModuleDatabase, async operations), and
// its Kubernetes manifest, shaped like deploy/k8s/base/users.yaml, its patch in the postgres overlay,
// shaped like deploy/k8s/overlays/postgres/users.yaml, and its row in the README's table of modules.
export interface Names {
  /** kebab-case: folder, URL, database, Compose service, Kubernetes names */
  module: string
  /** camelCase: identifiers */
  camel: string
  /** PascalCase: types */
  pascal: string
  /** snake_case: the table */
  table: string
  /** SCREAMING_SNAKE: error codes */
  upper: string
}

export function namesOf (module: string): Names {
  const words = module.split('-')
  const pascal = words.map((word) => word[0].toUpperCase() + word.slice(1)).join('')
  return { module, camel: pascal[0].toLowerCase() + pascal.slice(1), pascal, table: words.join('_'), upper: words.join('_').toUpperCase() }
}

export function moduleFiles ({ module, camel, pascal, table, upper }: Names): Record<string, string> {
  // Quoted only where it must be (stock-levels), as the linter wants it.
  const key = module.includes('-') ? `'${module}'` : module
  return {
    [`src/modules/${module}/contract.ts`]: `import { Type, type Static } from '@sinclair/typebox'
import { defineContract } from '../../platform/contracts/define-contract.js'
import { createError } from '../../platform/primitives/coded-errors.js'
import { problemResponse } from '../../platform/primitives/problem.js'

export const ${pascal}ItemNotFound = createError('CLV_${upper}_NOT_FOUND', '${module} item %s not found', 404)

export const ${pascal}Item = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  name: Type.String(),
  createdAt: Type.String({ format: 'date-time' })
})
export type ${pascal}Item = Static<typeof ${pascal}Item>

export const New${pascal}Item = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\\\S', description: '1–100 characters, not only spaces' }) })
export type New${pascal}Item = Static<typeof New${pascal}Item>

const ItemId = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) })

export const ${camel}Contract = defineContract({
  module: '${module}',
  description: '${module}: items to list, create and read',
  routes: {
    list${pascal}: {
      method: 'GET',
      url: '/${module}',
      schema: {
        summary: 'The ${module} items in id order; pass the last id seen as cursor for the next page',
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
          cursor: Type.Integer({ minimum: 0, default: 0, description: 'id of the last item of the previous page' })
        }),
        response: { 200: Type.Array(${pascal}Item) }
      }
    },
    get${pascal}Item: {
      method: 'GET',
      url: '/${module}/:id',
      schema: { summary: 'One ${module} item', params: ItemId, response: { 200: ${pascal}Item, 404: problemResponse('No ${module} item has this id') } }
    },
    create${pascal}Item: {
      method: 'POST',
      url: '/${module}',
      schema: { summary: 'Create a ${module} item', body: New${pascal}Item, response: { 201: ${pascal}Item } },
      location: (item: ${pascal}Item) => \`/${module}/\${item.id}\`
    }
  },
  errors: { ${pascal}ItemNotFound },
  // The modules this one calls through app.clients, e.g. ['users']: a process mounting it must
  // reach them, and npm run map draws the calls.
  calls: []
})

declare module '../../platform/clients/index.js' {
  interface ModuleContracts { ${key}: typeof ${camel}Contract }
}
`,
    [`src/modules/${module}/tables.ts`]: `import { defineTables } from '../../platform/storage/table-kit.js'

// Declared once for SQLite and PostgreSQL. After a change: npm run db:generate -- ${module}
export const ${camel}Tables = defineTables((kit) => ({
  ${camel}Items: kit.table('${table}_items', {
    id: kit.id('id'),
    name: kit.text('name').notNull(),
    createdAt: kit.text('created_at').notNull()
  })
}))
`,
    [`src/modules/${module}/store.ts`]: `import { eq, gt } from 'drizzle-orm'
import type { Db, ModuleDatabase } from '../../platform/storage/database.js'
import type { New${pascal}Item, ${pascal}Item } from './contract.js'
import type { ${camel}Tables } from './tables.js'

export function create${pascal}Store ({ db, tables: { ${camel}Items }, atomically }: ModuleDatabase<typeof ${camel}Tables.postgres>) {
  return {
    /** Runs writes (and the events they publish, once the module has some) in one transaction. */
    atomically,

    async findById (id: number): Promise<${pascal}Item | undefined> {
      const [item] = await db.select().from(${camel}Items).where(eq(${camel}Items.id, id))
      return item
    },

    list (after: number, limit: number): Promise<${pascal}Item[]> {
      return db.select().from(${camel}Items).where(gt(${camel}Items.id, after)).orderBy(${camel}Items.id).limit(limit)
    },

    async insert (tx: Db, item: New${pascal}Item): Promise<${pascal}Item> {
      const [row] = await tx.insert(${camel}Items).values({ name: item.name, createdAt: new Date().toISOString() }).returning()
      return row!
    }
  }
}

export type ${pascal}Store = ReturnType<typeof create${pascal}Store>
`,
    [`src/modules/${module}/operations.ts`]: `import type { Operations } from '../../platform/contracts/define-contract.js'
import { ${pascal}ItemNotFound, ${camel}Contract } from './contract.js'
import type { ${pascal}Store } from './store.js'

export function create${pascal}Operations (store: ${pascal}Store): Operations<typeof ${camel}Contract> {
  return {
    list${pascal}: ({ query }) => store.list(query.cursor, query.limit),
    get${pascal}Item: async ({ params }) => {
      const item = await store.findById(params.id)
      if (item === undefined) throw new ${pascal}ItemNotFound(params.id)
      return item
    },
    create${pascal}Item: ({ body }) => store.atomically((tx) => store.insert(tx, body))
  }
}
`,
    [`src/modules/${module}/index.ts`]: `import type { FastifyInstance } from 'fastify'
import { ${camel}Contract } from './contract.js'
import { create${pascal}Operations } from './operations.js'
import { create${pascal}Store } from './store.js'
import { ${camel}Tables } from './tables.js'

export default async function ${camel} (app: FastifyInstance) {
  const store = create${pascal}Store(await app.databases.open(${camel}Contract.module, ${camel}Tables))
  app.registry.implement(${camel}Contract, { operations: create${pascal}Operations(store) })
}
`,
    [`test/modules/${module}.test.ts`]: `import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('${module}: create, read, list; an unknown id is 404', async (t) => {
  const app = await buildTestApp(t, { modules: ['${module}'] })
  const created = await app.inject({ method: 'POST', url: '/${module}', payload: { name: 'first' } })
  t.equal(created.statusCode, 201)
  const item = created.json()
  t.match(item, { id: 1, name: 'first' })
  t.equal(created.headers.location, \`/${module}/\${item.id}\`)
  t.same((await app.inject(\`/${module}/\${item.id}\`)).json(), item)
  t.same((await app.inject('/${module}?limit=10&cursor=0')).json(), [item])
  const missing = await app.inject('/${module}/99')
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().code, 'CLV_${upper}_NOT_FOUND')
})

t.test('${module}: a name that is only spaces is refused', async (t) => {
  const app = await buildTestApp(t, { modules: ['${module}'] })
  const res = await app.inject({ method: 'POST', url: '/${module}', payload: { name: '   ' } })
  t.equal(res.statusCode, 400)
})
`
  }
}

/** Its row in the README's table of modules, naming the routes the generated contract declares. */
export function readmeRow (module: string): string {
  return `| \`${module}\` | \`GET /${module}\` (\`limit\` 1–100, \`cursor\`), \`GET /${module}/:id\`, \`POST /${module}\` (201; name 1–100 characters) |\n`
}

export function k8sManifest (module: string): string {
  const labels = `    app.kubernetes.io/name: cleave\n    app.kubernetes.io/component: ${module}`
  const indent = (text: string, by: number) => text.split('\n').map((line) => ' '.repeat(by) + line).join('\n')
  return `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ${module}-data
  labels:
${labels}
spec:
  accessModes: ["ReadWriteOnce"]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${module}
  labels:
${labels}
spec:
  # SQLite: one writer per file on one machine, so one replica; Recreate lets the old pod release the file first.
  # ../overlays/postgres moves it to PostgreSQL: two replicas, RollingUpdate.
  replicas: 1
  strategy:
    type: Recreate
  selector:
    matchLabels:
${indent(labels, 2)}
  template:
    metadata:
      labels:
${indent(labels, 4)}
    spec:
      # Drain (DRAIN_DELAY_MS, 5 s) + close (SHUTDOWN_TIMEOUT_MS, 10 s) + a 5 s margin before SIGKILL.
      terminationGracePeriodSeconds: 20
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        runAsGroup: 1000
        fsGroup: 1000
      containers:
        - name: cleave
          image: cleave:latest
          env:
            - name: MODULES
              value: "${module}"
            - name: SERVICE_NAME
              value: "cleave:${module}"
          envFrom:
            - configMapRef:
                name: cleave
            - secretRef:
                name: cleave
          ports:
            - name: http
              containerPort: 3000
          readinessProbe:
            httpGet: { path: /health/ready, port: http }
            periodSeconds: 2
            failureThreshold: 2
          livenessProbe:
            httpGet: { path: /health/live, port: http }
            initialDelaySeconds: 10
            periodSeconds: 10
            failureThreshold: 3
          resources:
            requests: { cpu: 100m, memory: 128Mi }
            limits: { memory: 512Mi }
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: { drop: ["ALL"] }
          volumeMounts:
            - { name: data, mountPath: /data }
            - { name: tmp, mountPath: /tmp }
      volumes:
        - name: data
          persistentVolumeClaim:
            claimName: ${module}-data
        - name: tmp
          emptyDir: {}
---
apiVersion: v1
kind: Service
metadata:
  name: ${module}
  labels:
${labels}
spec:
  selector:
${labels}
  ports:
    - name: http
      port: 3000
      targetPort: http
`
}

/** Its patch in deploy/k8s/overlays/postgres: on PostgreSQL, no volume, migrations in an init container. */
export function postgresPatch (module: string): string {
  return `# ${module} on PostgreSQL: DATABASE_URL from the cleave-database Secret, no volume (its PVC and the
# /data mount are deleted), migrations in an init container, rolled one pod at a time.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${module}
spec:
  # A new pod is ready before an old one stops: no pause in service (replicas: in kustomization.yaml).
  strategy:
    type: RollingUpdate
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 }
  template:
    spec:
      # Migrations before the cleave container starts (why: kustomization.yaml): this module's, under its lock.
      initContainers:
        - name: migrate
          image: cleave:latest
          command: ["node", "dist/bin/migrate.js"]
          env:
            - name: MODULES
              value: "${module}"
            - name: SERVICE_NAME
              value: "cleave:${module}:migrate"
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef: { name: cleave-database, key: DATABASE_URL }
          envFrom:
            - configMapRef:
                name: cleave
            - secretRef:
                name: cleave
          resources:
            requests: { cpu: 100m, memory: 128Mi }
            limits: { memory: 512Mi }
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: { drop: ["ALL"] }
          volumeMounts:
            - { name: tmp, mountPath: /tmp }
      containers:
        - name: cleave
          env:
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef: { name: cleave-database, key: DATABASE_URL }
          volumeMounts:
            - { mountPath: /data, $patch: delete }
      volumes:
        - { name: data, $patch: delete }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ${module}-data
$patch: delete
`
}
