// Applies revision after revision to a revision store, forever, until the test kills it with
// SIGKILL. Plain JS on the compiled store (dist/), so it starts as fast as node can.
import { RevisionStore } from '../../dist/gateway/remote-config/revision-store.js';

const [stateDir] = process.argv.slice(2);
const store = new RevisionStore(stateDir);
store.cleanUp();
// Big enough that a write of the revision takes a while: kills land inside it as well as between.
const pad = `# ${'x'.repeat(126)}\n`.repeat(2048);
const trial = { deadline: new Date().toISOString(), expectOnline: ['cabinet-1'], onSite: null };
process.stdout.write('looping\n');
for (;;) {
  const p = store.read();
  const rev = Math.max(p?.current.revision ?? 0, p?.lastGood?.revision ?? 0) + 1;
  const mark = `# revision ${rev}\n`;
  const staged = store.stage(rev, { 'station.yaml': mark + pad, 'profiles/a.yaml': mark + pad.slice(0, 9000), 'profiles/deep/b.yaml': mark }, `doc-${rev}`);
  store.beginTrial(staged, trial);
  store.noteTrialBoot();
  if (rev % 3 === 0) store.rollback();
  else store.commit();
}
