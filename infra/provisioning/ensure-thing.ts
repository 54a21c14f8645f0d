import type { Device } from '../../functions/core/registry';
import type { DeviceRun } from './device-run';
import { awsErrorName } from './iot-errors';
import { hasAttributes, thingAttributes } from './thing-attributes';

/** The device's thing, created with its attributes, or its attributes brought up to date with the fleet file. */
export async function ensureThing(run: DeviceRun, device: Device): Promise<void> {
  const { registry } = run.ctx;
  const attributes = thingAttributes(device);
  const words = Object.entries(attributes)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const thing = await registry.describeThing(device.id);
  if (!thing) {
    await run.change(
      `create thing ${device.id} (${words})`,
      () =>
        registry.createThing(device.id, attributes).catch(async (err) => {
          // Another run created it since the read, with other attributes: converge on this run's.
          if (awsErrorName(err) !== 'ResourceAlreadyExistsException') throw err;
          await registry.updateThingAttributes(device.id, attributes);
        }),
      undefined,
    );
  } else if (!hasAttributes(thing.attributes, attributes)) {
    await run.change(
      `update attributes of thing ${device.id} (${words})`,
      () => registry.updateThingAttributes(device.id, attributes),
      undefined,
    );
  }
}
