import './test/bench/log-level';
import { handlerBench } from './test/bench/handler-bench';
import { readFleetFile } from './infra/fleet/read-fleet';
import { median } from './functions/shared/stats';
import { fleetDevices } from './functions/core/registry';
const { fleet } = await readFleetFile();
const devices = fleetDevices(fleet);
const r = await handlerBench({ devices, runs: 3, eventsPerRun: 50, recordsPerEvent: 100 });
console.log('WRU/sample all tables', median(r.map((x) => x.allWriteUnits / x.stored)), 'readings', median(r.map((x) => x.readingWriteUnits / x.stored)), 'RRU', median(r.map((x) => x.allReadUnits / x.stored)), JSON.stringify(r.map((x) => x.requests)));
