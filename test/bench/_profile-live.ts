import './log-level';
import { runFleetShape } from './fleet-shape-bench';

const r = await runFleetShape(
  {
    name: 'live',
    kind: 'live',
    devices: Number(process.env.DEV ?? 1000),
    intervalS: 1,
    durationS: Number(process.env.SECS ?? 30),
  },
  { drainCapS: Number(process.env.CAP ?? 60) },
);
console.log(JSON.stringify(r));
