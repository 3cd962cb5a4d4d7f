import type { MockTool } from '../../mock-servers/mcp/index.js';

type Schema = NonNullable<MockTool['inputSchema']>;

/**
 * Input schemas shaped like those of real MCP servers (issue trackers, file stores, search): a few typed
 * properties with descriptions, enums, bounds, a nested object, required fields. About 500-900 bytes of JSON each.
 */
const shapes: { verb: string; describe: (noun: string) => string; schema: (noun: string) => Schema }[] = [
  {
    verb: 'search',
    describe: (noun) => `Search ${noun}s by free text. Results are ordered by relevance unless a sort order is given; at most 100 per page.`,
    schema: (noun) => ({
      type: 'object',
      properties: {
        query: { type: 'string', description: `Free-text query matched against ${noun} titles and bodies`, minLength: 1 },
        limit: { type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'Maximum number of results' },
        cursor: { type: 'string', description: 'Opaque cursor from a previous page' },
        sort: { type: 'string', enum: ['relevance', 'created', 'updated'], default: 'relevance' },
        filters: {
          type: 'object',
          properties: {
            since: { type: 'string', format: 'date-time', description: 'Only items updated after this instant' },
            labels: { type: 'array', items: { type: 'string' }, description: 'Items carrying all of these labels' },
          },
          additionalProperties: false,
        },
      },
      required: ['query'],
      additionalProperties: false,
    }),
  },
  {
    verb: 'get',
    describe: (noun) => `Fetch one ${noun} by its identifier, with its metadata and, optionally, its full history.`,
    schema: (noun) => ({
      type: 'object',
      properties: {
        id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', description: `Identifier of the ${noun}` },
        includeHistory: { type: 'boolean', default: false, description: 'Also return past revisions' },
        fields: { type: 'array', items: { type: 'string', enum: ['title', 'body', 'owner', 'labels', 'links'] }, description: 'Fields to return (default: all)' },
      },
      required: ['id'],
      additionalProperties: false,
    }),
  },
  {
    verb: 'create',
    describe: (noun) => `Create a new ${noun}. Returns the identifier and URL of the created ${noun}.`,
    schema: (noun) => ({
      type: 'object',
      properties: {
        title: { type: 'string', minLength: 1, maxLength: 256, description: `Title of the ${noun}` },
        body: { type: 'string', description: 'Markdown body' },
        owner: { type: 'string', description: 'User name of the owner; defaults to the caller' },
        labels: { type: 'array', items: { type: 'string' }, maxItems: 20, description: 'Labels to attach' },
        priority: { type: 'string', enum: ['low', 'normal', 'high', 'urgent'], default: 'normal' },
        dueDate: { type: 'string', format: 'date', description: 'Due date (YYYY-MM-DD)' },
      },
      required: ['title'],
      additionalProperties: false,
    }),
  },
  {
    verb: 'update',
    describe: (noun) => `Change fields of an existing ${noun}. Fields that are not given keep their value.`,
    schema: (noun) => ({
      type: 'object',
      properties: {
        id: { type: 'string', description: `Identifier of the ${noun}` },
        patch: {
          type: 'object',
          properties: {
            title: { type: 'string', maxLength: 256 },
            body: { type: 'string' },
            state: { type: 'string', enum: ['open', 'in_progress', 'closed'] },
            labels: { type: 'array', items: { type: 'string' } },
          },
          additionalProperties: false,
          description: 'Fields to change',
        },
        expectedVersion: { type: 'integer', minimum: 0, description: 'Fail if the current version differs (optimistic locking)' },
      },
      required: ['id', 'patch'],
      additionalProperties: false,
    }),
  },
  {
    verb: 'list',
    describe: (noun) => `List ${noun}s in a project, newest first, page by page.`,
    schema: (noun) => ({
      type: 'object',
      properties: {
        project: { type: 'string', description: `Project whose ${noun}s to list` },
        state: { type: 'string', enum: ['open', 'closed', 'all'], default: 'open' },
        pageSize: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
        cursor: { type: 'string', description: 'Opaque cursor from a previous page' },
      },
      required: ['project'],
      additionalProperties: false,
    }),
  },
];

const nouns = ['issue', 'document', 'ticket', 'record', 'file', 'message', 'deployment', 'invoice', 'contact', 'build'];

/** `count` tools named tool_00, tool_01, ...: five shapes over ten nouns, so no two tools of a server are alike. */
export function benchTools(count: number, server: string): MockTool[] {
  return Array.from({ length: count }, (_, i) => {
    const shape = shapes[i % shapes.length]!;
    const noun = nouns[Math.floor(i / shapes.length) % nouns.length]!;
    return {
      name: `tool_${String(i).padStart(2, '0')}`,
      description: `${shape.describe(noun)} (${shape.verb} ${noun}, server ${server})`,
      inputSchema: shape.schema(noun),
    };
  });
}
