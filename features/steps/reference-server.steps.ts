import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import { ResourceUpdatedNotificationSchema, type CallToolResult, type GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import type { SwitchboardWorld, UpstreamKind } from '../support/world.js';
import { names } from '../support/lists.js';
import { listReferenceServer } from '../support/reference-server.js';
import { eventually } from '../support/wait.js';

Given('the reference server {string} over {transport}', async function (this: SwitchboardWorld, name: string, kind: UpstreamKind) {
  await this.startReferenceUpstream(name, kind);
});

Given('the reference servers {string} and {string} over {transport}', async function (this: SwitchboardWorld, first: string, second: string, kind: UpstreamKind) {
  await Promise.all([this.startReferenceUpstream(first, kind), this.startReferenceUpstream(second, kind)]);
});

Given('an upstream {string} over {transport} with a tool {string} that may run as a task', async function (this: SwitchboardWorld, name: string, kind: UpstreamKind, tool: string) {
  await this.startUpstream(name, kind, { tools: [{ name: tool, execution: { taskSupport: 'optional' } }] });
});

// What "offered" is compared with: the reference server's own listing, taken by a client of its own that declares
// what the scenario's client declares (the server offers some tools only to clients that can sample, elicit or list roots).

/** What switchboard adds to every listed item: the server it comes from, beside the server's own `_meta`. */
function fromServer<T extends { _meta?: Record<string, unknown> }>(item: T, server: string): T {
  return { ...item, _meta: { ...item._meta, 'switchboard/server': server } };
}

Then('the client is offered every tool of the reference server {string} under its name, except those that can only run as tasks', async function (this: SwitchboardWorld, server: string) {
  const own = await listReferenceServer(this.client().behaviour.capabilities ?? {});
  const callable = own.tools.filter((tool) => tool.execution?.taskSupport !== 'required');
  assert.ok(callable.length > 0 && callable.length < own.tools.length, 'the reference server lists no task-only tool to leave out');
  const offered = (await this.client().client.listTools()).tools;
  assert.deepEqual(offered.map((t) => t.name).sort(), callable.map((t) => `${server}_${t.name}`).sort());
  // Only the name changes (and `_meta` names the server): schemas, annotations and the rest reach the client as the server wrote them.
  for (const tool of callable) assert.deepEqual(offered.find((t) => t.name === `${server}_${tool.name}`), fromServer({ ...tool, name: `${server}_${tool.name}` }, server));
});

Then('the client is offered every prompt of the reference server {string} under its name', async function (this: SwitchboardWorld, server: string) {
  const own = await listReferenceServer(this.client().behaviour.capabilities ?? {});
  assert.ok(own.prompts.length > 0);
  const offered = (await this.client().client.listPrompts()).prompts;
  assert.deepEqual(offered, own.prompts.map((p) => fromServer({ ...p, name: `${server}_${p.name}` }, server)));
});

Then('the client is offered every resource and resource template of the reference server {string} under its name', async function (this: SwitchboardWorld, server: string) {
  const own = await listReferenceServer(this.client().behaviour.capabilities ?? {});
  assert.ok(own.resources.length > 0 && own.resourceTemplates.length > 0);
  // auth://status is switchboard's own.
  const resources = (await this.client().client.listResources()).resources.filter((r) => r.uri !== 'auth://status');
  assert.deepEqual(resources, own.resources.map((r) => fromServer({ ...r, uri: `${server}+${r.uri}` }, server)));
  const templates = (await this.client().client.listResourceTemplates()).resourceTemplates;
  assert.deepEqual(templates, own.resourceTemplates.map((t) => fromServer({ ...t, uriTemplate: `${server}+${t.uriTemplate}` }, server)));
});

/** Arguments as a two-column table; a value that reads as JSON (a number, true) is passed as that JSON value. */
When('the client calls {string} with:', async function (this: SwitchboardWorld, tool: string, table: DataTable) {
  const args = Object.fromEntries(table.raw().map(([name, value]) => [name, asJson(value ?? '')]));
  await this.client().call(tool, args);
});

When('the client runs {string} in {int} steps, following its progress', async function (this: SwitchboardWorld, tool: string, steps: number) {
  // A tenth of a second per step (`duration` is in seconds).
  await this.client().callFollowingProgress(tool, { steps, duration: steps / 10 });
});

When('the client gets the prompt {string} with {word} {string}', async function (this: SwitchboardWorld, name: string, argument: string, value: string) {
  const result = await this.client().client.getPrompt({ name, arguments: { [argument]: value } });
  this.promptText = result.messages.map((m) => (m.content.type === 'text' ? m.content.text : '')).join('\n');
});

/** Arguments as a two-column table (prompt arguments are strings). */
When('the client gets the prompt {string} with:', async function (this: SwitchboardWorld, name: string, table: DataTable) {
  this.promptResult = await this.client().client.getPrompt({ name, arguments: Object.fromEntries(table.raw().map(([argument, value]) => [argument, value ?? ''])) });
});

Then('the prompt embeds the resource {string}', function (this: SwitchboardWorld, uri: string) {
  assert.ok(this.promptResult, 'no prompt was got');
  const embedded = this.promptResult.messages.flatMap((m) => (m.content.type === 'resource' ? [m.content.resource.uri] : []));
  assert.deepEqual(embedded, [uri]);
});

When('the client asks for the prompt {string}', async function (this: SwitchboardWorld, name: string) {
  this.refusal = await refusalOf(this.client().client.getPrompt({ name }));
});

When('the client asks to read the resource {string}', async function (this: SwitchboardWorld, uri: string) {
  this.refusal = await refusalOf(this.client().client.readResource({ uri }));
});

Then('the call is refused as invalid: {string}', function (this: SwitchboardWorld, message: string) {
  const error = this.client().lastError;
  assert.ok(error, `expected a protocol error, got a result: ${JSON.stringify(this.client().lastResult)}`);
  assertRefusedAsInvalid(this, error, message);
});

Then('the request is refused as invalid: {string}', function (this: SwitchboardWorld, message: string) {
  assert.ok(this.refusal, 'the request was not refused');
  assertRefusedAsInvalid(this, this.refusal, message);
});

When('the client asks how to complete the department {string} of the prompt {string}', async function (this: SwitchboardWorld, value: string, prompt: string) {
  const result = await this.client().client.complete({ ref: { type: 'ref/prompt', name: prompt }, argument: { name: 'department', value } });
  this.completions = result.completion.values;
});

Then('the client is offered the completion {string}', function (this: SwitchboardWorld, value: string) {
  assert.deepEqual(this.completions, [value]);
});

Then('the result carries structured content, repeated as its text', function (this: SwitchboardWorld) {
  const result = succeeded(this);
  assert.ok(result.structuredContent && Object.keys(result.structuredContent).length > 0, 'no structured content');
  assert.deepEqual(result.structuredContent, JSON.parse(this.client().resultText()));
});

Then('the result holds a PNG image', function (this: SwitchboardWorld) {
  const image = succeeded(this).content.find((block) => block.type === 'image');
  assert.ok(image, 'no image in the result');
  assert.equal(image.mimeType, 'image/png');
  // The PNG signature: the bytes arrived as the server sent them.
  assert.deepEqual([...Buffer.from(image.data, 'base64').subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
});

Then('the client was asked to sample a message mentioning {string}', function (this: SwitchboardWorld, words: string) {
  const asked = this.client().samplingRequests.flatMap((request) => request.messages.flatMap((m) => [m.content].flat()))
    .map((content) => (content.type === 'text' ? content.text : `[${content.type}]`));
  assert.equal(asked.length, 1, `asked to sample ${JSON.stringify(asked)}`);
  assert.ok(asked[0]?.includes(words), `"${asked[0]}" does not mention "${words}"`);
});

When('the client subscribes to the resource {string}', async function (this: SwitchboardWorld, uri: string) {
  const client = this.client();
  client.legacyClient.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
    client.notifications.push({ method: notification.method, params: notification.params, at: performance.now() });
  });
  await client.client.subscribeResource({ uri });
});

Then('the client is told that the resource {string} was updated', async function (this: SwitchboardWorld, uri: string) {
  await eventually(
    () => this.client().notifications.some((n) => n.method === 'notifications/resources/updated' && n.params?.uri === uri),
    `notifications/resources/updated for ${uri}`,
  );
});

Then('the client receives log messages from {string}', async function (this: SwitchboardWorld, server: string) {
  await eventually(
    () => this.client().notifications.some((n) => n.method === 'notifications/message' && String(n.params?.logger).split('/')[0] === server),
    `a log message from ${server}`,
  );
});

Then('the result links to {string}', function (this: SwitchboardWorld, list: string) {
  assert.deepEqual(links(this).map((link) => link.uri), names(list));
});

Then('every resource the result links to can be read through switchboard', async function (this: SwitchboardWorld) {
  const linked = links(this);
  assert.ok(linked.length > 0, 'the result links to nothing');
  for (const link of linked) {
    const { contents } = await this.client().client.readResource({ uri: link.uri });
    assert.equal(contents.length, 1);
    const [content] = contents;
    assert.equal(content?.uri, link.uri);
    assert.equal(content?.mimeType, link.mimeType);
    assert.ok(content && ('text' in content ? content.text : content.blob), `${link.uri} is empty`);
  }
});

Then('the resource {string} unzips to {string}', async function (this: SwitchboardWorld, uri: string, text: string) {
  const [content] = (await this.client().client.readResource({ uri })).contents;
  assert.ok(content && 'blob' in content, `${uri} holds no blob`);
  assert.equal(gunzipSync(Buffer.from(content.blob, 'base64')).toString('utf8'), text);
});

Then('the result embeds the resource {string}', function (this: SwitchboardWorld, uri: string) {
  const embedded = succeeded(this).content.flatMap((block) => (block.type === 'resource' ? [block.resource.uri] : []));
  assert.deepEqual(embedded, [uri]);
});

Then('the resource text mentions {string}', function (this: SwitchboardWorld, words: string) {
  assert.ok(this.resourceText?.includes(words), `"${this.resourceText}" does not mention "${words}"`);
});

Then('switchboard warned once that the tool {string} of {string} can only run as a task', function (this: SwitchboardWorld, tool: string, server: string) {
  const warnings = this.logLines
    .map((line) => JSON.parse(line) as { level: number; server?: string; tool?: string; msg?: string })
    .filter((entry) => entry.level === 40 && entry.server === server && entry.tool === tool);
  assert.equal(warnings.length, 1, `warnings about ${server}/${tool}: ${JSON.stringify(warnings)}`);
  assert.match(String(warnings[0]?.msg), /task/);
});

function succeeded(world: SwitchboardWorld): CallToolResult {
  const result = world.client().lastResult;
  assert.ok(result, `the call failed: ${world.client().lastError?.message}`);
  assert.notEqual(result.isError, true, `the call failed: ${world.client().resultText()}`);
  return result;
}

function links(world: SwitchboardWorld) {
  return succeeded(world).content.flatMap((block) => (block.type === 'resource_link' ? [block] : []));
}

/** The error a request failed with; undefined when it succeeded. */
async function refusalOf(request: Promise<unknown>): Promise<Error | undefined> {
  return request.then(() => undefined, (error: unknown) => (error instanceof Error ? error : new Error(String(error))));
}

/**
 * Invalid params, -32602 (JSON-RPC 2.0 section 5.1), with exactly `message` as the client shows it: an SDK v1 client
 * (the legacy era) puts the code in front of the message, once; an SDK v2 client (the modern era) keeps it beside.
 */
function assertRefusedAsInvalid(world: SwitchboardWorld, error: Error, message: string): void {
  assert.equal((error as { code?: unknown }).code, -32602, `not refused as invalid params: ${error.message}`);
  assert.equal(error.message, world.client().era === 'legacy' ? `MCP error -32602: ${message}` : message);
}

function asJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

declare module '@cucumber/cucumber' {
  interface World {
    completions?: string[];
    promptResult?: GetPromptResult;
    /** What the last request asked through a step that expects a refusal failed with. */
    refusal?: Error;
  }
}
