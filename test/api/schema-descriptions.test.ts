/**
 * The schema's descriptions as clients see them (introspection over HTTP): every type, field, argument, input field
 * and enum value is described, and the rules that matter to a caller (roles, idempotency) are in those descriptions.
 */
import { startApi, type ApiHarness } from '../helpers/api-server';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({ kind: 'MIGRATED' });
});
afterAll(async () => {
  await api.stop();
});

interface Described {
  readonly name: string;
  readonly description: string | null;
}
interface IntrospectedType extends Described {
  readonly kind: string;
  readonly fields: (Described & { readonly args: (Described & { readonly type: { readonly ofType: { readonly name: string } | null } })[] })[] | null;
  readonly inputFields: Described[] | null;
  readonly enumValues: Described[] | null;
}

const SCHEMA_QUERY = `{
  __schema {
    types {
      kind name description
      fields(includeDeprecated: true) { name description args { name description type { ofType { name } } } }
      inputFields { name description }
      enumValues(includeDeprecated: true) { name description }
    }
  }
}`;

/** graphql-js's own scalars; the schema's types are everything else that is not introspection's (`__…`). */
const BUILT_IN = new Set(['String', 'Int', 'Float', 'Boolean', 'ID']);

async function schemaTypes(): Promise<Map<string, IntrospectedType>> {
  const res = await api.gql<{ __schema: { types: IntrospectedType[] } }>(SCHEMA_QUERY);
  expect(res.errors).toBeUndefined();
  const types = res.data!.__schema.types.filter((t) => !t.name.startsWith('__') && !BUILT_IN.has(t.name));
  return new Map(types.map((t) => [t.name, t]));
}

const isDescribed = (d: Described) => typeof d.description === 'string' && d.description.trim().length > 0;

describe('schema descriptions over introspection', () => {
  it('describes every type, field, argument, input field and enum value', async () => {
    const types = await schemaTypes();
    expect(types.size).toBeGreaterThan(100);
    const missing: string[] = [];
    let elements = 0;
    const check = (d: Described, path: string) => {
      elements += 1;
      if (!isDescribed(d)) missing.push(path);
    };
    for (const t of types.values()) {
      check(t, t.name);
      for (const f of t.fields ?? []) {
        check(f, `${t.name}.${f.name}`);
        for (const a of f.args) check(a, `${t.name}.${f.name}(${a.name})`);
      }
      for (const f of t.inputFields ?? []) check(f, `${t.name}.${f.name}`);
      for (const v of t.enumValues ?? []) check(v, `${t.name}.${v.name}`);
    }
    expect(missing).toEqual([]);
    expect(elements).toBeGreaterThan(800);
  });

  it('states the roles of every mutation and root query field', async () => {
    const types = await schemaTypes();
    const roles = /\b(BROKER|ORACLE|MONITOR|ADMIN|Every role)\b/;
    const unstated = ['Query', 'Mutation'].flatMap((root) =>
      (types.get(root)!.fields ?? []).filter((f) => !roles.test(f.description ?? '')).map((f) => `${root}.${f.name}`),
    );
    expect(unstated).toEqual([]);
  });

  it('carries the idempotency rule on Mutation and on the idempotencyKey of every mutation input', async () => {
    const types = await schemaTypes();
    const mutation = types.get('Mutation')!;
    expect(mutation.description).toMatch(/idempotencyKey/);
    expect(mutation.description).toMatch(/CONFLICT/);
    const withoutRule = mutation.fields!.filter((f) => {
      const inputType = f.args.find((a) => a.name === 'input')?.type.ofType?.name;
      const key = inputType ? types.get(inputType)?.inputFields?.find((i) => i.name === 'idempotencyKey') : undefined;
      return !key || !/same key and input returns the first response/.test(key.description ?? '') || !/CONFLICT/.test(key.description ?? '');
    });
    expect(mutation.fields!.length).toBeGreaterThanOrEqual(10);
    expect(withoutRule.map((f) => f.name)).toEqual([]);
  });
});
