import { describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/free-port.js';
import { MqttRecorder } from '../../helpers/mqtt-recorder.js';
import { distEntry, runNode } from '../../helpers/processes.js';

/* What `npm start` promises a new user: the whole demo station, visible to a plain MQTT client. */

describe('the demo (npm start)', () => {
  it('runs broker, simulators and gateway; a plain client sees the station; Ctrl-C stops it all', async () => {
    const port = await freePort();
    const demo = runNode(distEntry('gateway', 'cli', 'demo.js'), ['--port', String(port)]);
    try {
      await demo.waitForOutput(`mosquitto_sub -h 127.0.0.1 -p ${port} -t 'stations/#' -v`, 45_000);
      const recorder = await MqttRecorder.connect(`mqtt://127.0.0.1:${port}`);
      try {
        const S = 'stations/demo-hz-0001';
        await recorder.waitFor(`${S}/status`, (m) => m.body['online'] === true, 10_000);
        const devices = ['lock-1', 'scanner-1', 'cabinet-1', 'water-1', 'occupancy-1'];
        for (const id of devices) await recorder.waitFor(`${S}/devices/${id}`, (m) => m.body['online'] === true, 10_000);
        // What the broker keeps for the next subscriber: the status and every device, retained.
        const late = await MqttRecorder.connect(`mqtt://127.0.0.1:${port}`);
        try {
          for (const topic of [`${S}/status`, ...devices.map((d) => `${S}/devices/${d}`)]) {
            expect((await late.waitFor(topic)).retain).toBe(true);
          }
        } finally {
          await late.close();
        }
      } finally {
        await recorder.close();
      }
      demo.child.kill('SIGINT');
      const exit = await demo.exited;
      expect(exit.code).toBe(0);
      expect(demo.output()).toContain('demo stopped');
    } finally {
      await demo.stop();
    }
  });
});
