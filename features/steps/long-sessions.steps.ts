import assert from 'node:assert/strict';
import { Then, When } from '@cucumber/cucumber';
import type { SwitchboardWorld } from '../support/world.js';

When('the client calls {string} {int} times, {int} at a time', async function (this: SwitchboardWorld, tool: string, times: number, concurrency: number) {
  const client = this.client().client;
  const outcomes: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < times) {
      const text = `call ${next++}`;
      try {
        const result = await client.callTool({ name: tool, arguments: { text } });
        const answer = (result.content as { type: string; text?: string }[])[0]?.text;
        outcomes.push(!result.isError && answer === text ? 'ok' : `"${text}" answered ${JSON.stringify(result)}`);
      } catch (error) {
        outcomes.push(`"${text}" failed: ${(error as Error).message}`);
      }
    }
  }));
  this.repeatedCallOutcomes = outcomes;
});

Then('no warning about piling-up listeners was raised', function (this: SwitchboardWorld) {
  const leaks = this.processWarnings.filter((warning) => warning.name === 'MaxListenersExceededWarning');
  assert.deepEqual(leaks.map((warning) => warning.message), []);
});
