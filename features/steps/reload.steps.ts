import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { Given, Then, When } from '@cucumber/cucumber';
import type { SwitchboardWorld } from '../support/world.js';
import { eventually } from '../support/wait.js';

function names(list: string): string[] {
  return list.split(',').map((name) => name.trim()).filter(Boolean);
}

function configFile(world: SwitchboardWorld): string {
  if (!world.configFile) throw new Error('switchboard was not started from a configuration file in this scenario');
  return world.configFile;
}

/** Saved the way an editor saves: the whole file at once. */
async function save(world: SwitchboardWorld, text: string): Promise<void> {
  world.forgetNotifications();
  await writeFile(configFile(world), text);
}

Given('switchboard is running from a configuration file with the upstreams {string}', async function (this: SwitchboardWorld, list: string) {
  await this.startSwitchboardFromFile(names(list));
});

When('the configuration file is saved with the upstreams {string}', async function (this: SwitchboardWorld, list: string) {
  await save(this, this.configFileText(names(list)));
});

When('the configuration file is saved with a mistake in it', async function (this: SwitchboardWorld) {
  const config = JSON.parse(this.configFileText()) as { mcpServers: Record<string, Record<string, unknown>> };
  const first = Object.values(config.mcpServers)[0];
  assert.ok(first, 'the scenario has no upstream to misconfigure');
  first.timeoutMs = 'soon';
  await save(this, JSON.stringify(config, null, 2));
});

When('switchboard is told to reload its configuration', async function (this: SwitchboardWorld) {
  this.forgetNotifications();
  assert.ok(this.switchboard, 'switchboard is not running');
  // What SIGHUP does (src/cli.ts).
  await this.switchboard.reload();
});

Then('switchboard logged that it refused the configuration file, naming {string}', async function (this: SwitchboardWorld, words: string) {
  const refusal = await eventually(() => this.logLines
    .map((line) => JSON.parse(line) as { msg?: string; error?: string })
    .find((entry) => entry.msg === 'the changed configuration file is refused; the running configuration stays'), 'the refusal in the log');
  assert.match(refusal.error ?? '', new RegExp(words.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
});
