import type { CloudBridge } from '../../../cloud-bridge/cloud-bridge.js';
import type { EnrolmentLink } from '../../enrolment/enrolment-link.js';

/**
 * The certificate renewal's link over the bridge's own connection: its topics are under the
 * station's tree (`S/enrol/...`), which the bridge follows and publishes on for it, so renewal
 * needs no second client and works across the bridge's reconnects.
 */
export function bridgeEnrolmentLink(bridge: () => CloudBridge, root: string): EnrolmentLink {
  const suffix = (topic: string): string => {
    if (!topic.startsWith(`${root}/`)) throw new Error(`${topic} is not under ${root}/`);
    return topic.slice(root.length + 1);
  };
  return {
    async subscribe(topic, onMessage) {
      const off = bridge().follow(suffix(topic), (m) => {
        if (!m.retained) onMessage(m.payload);
      });
      return async () => off();
    },
    publish: (topic, payload) => bridge().publishOnce(suffix(topic), payload),
  };
}
