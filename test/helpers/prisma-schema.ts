/**
 * A small reader of prisma/schema.prisma for the schema-agreement test: models with their scalar fields (column
 * name after @map, Prisma type, optional or not) and enums with their values. Relation fields are left out.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface SchemaField {
  readonly name: string;
  readonly column: string;
  readonly type: string;
  readonly optional: boolean;
}

export interface SchemaModel {
  readonly name: string;
  readonly table: string;
  readonly fields: readonly SchemaField[];
}

export interface PrismaSchema {
  readonly models: readonly SchemaModel[];
  readonly enums: ReadonlyMap<string, readonly string[]>;
}

const SCALARS = new Set(['String', 'Int', 'BigInt', 'Decimal', 'DateTime', 'Json', 'Boolean', 'Float', 'Bytes']);

export function readPrismaSchema(file = path.resolve(__dirname, '../../prisma/schema.prisma')): PrismaSchema {
  const text = readFileSync(file, 'utf8').replace(/\/\/.*$/gm, '');
  const enums = new Map<string, string[]>();
  for (const match of text.matchAll(/enum\s+(\w+)\s*\{([^}]*)\}/g)) {
    enums.set(match[1]!, match[2]!.split(/\s+/).filter(Boolean));
  }
  const models: SchemaModel[] = [];
  for (const match of text.matchAll(/model\s+(\w+)\s*\{([^}]*)\}/g)) {
    const name = match[1]!;
    const body = match[2]!;
    const table = /@@map\("([^"]+)"\)/.exec(body)?.[1] ?? name;
    const fields: SchemaField[] = [];
    for (const line of body.split('\n').map((l) => l.trim())) {
      const field = /^(\w+)\s+(\w+)(\[\])?(\?)?(.*)$/.exec(line);
      if (!field || line.startsWith('@@')) continue;
      const [, fieldName, type, list, optional, rest] = field;
      if (list || !(SCALARS.has(type!) || enums.has(type!))) continue;
      const column = /@map\("([^"]+)"\)/.exec(rest ?? '')?.[1] ?? fieldName!;
      fields.push({ name: fieldName!, column, type: type!, optional: Boolean(optional) });
    }
    models.push({ name, table, fields });
  }
  return { models, enums };
}
