import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../shared/app/config';
import { queueMaxDequeueCount } from '../../shared/app/hostSettings';

describe("the host's maxDequeueCount", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'host-json-'));
  const file = (name: string, text: string) => {
    const at = path.join(dir, name);
    writeFileSync(at, text);
    return at;
  };

  it("is read from the app's own host.json", () => {
    expect(queueMaxDequeueCount()).toBe(5);
    expect(queueMaxDequeueCount(file('three.json', '{"extensions":{"queues":{"maxDequeueCount":3}}}'))).toBe(3);
  });

  it("is the host's default when host.json does not say, and a readable error when it says nonsense", () => {
    expect(queueMaxDequeueCount(file('none.json', '{"version":"2.0"}'))).toBe(5);
    expect(() => queueMaxDequeueCount(file('zero.json', '{"extensions":{"queues":{"maxDequeueCount":0}}}'))).toThrow(ConfigError);
    expect(() => queueMaxDequeueCount(file('broken.json', '{'))).toThrow(/host\.json/);
  });
});
