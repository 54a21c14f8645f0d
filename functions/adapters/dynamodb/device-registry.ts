import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Device } from '../../core/registry';
import type { DeviceFilter, DeviceRegistry, MaintenanceDetails } from '../../ports/device-registry';
import { batchWriteAll } from './batch-write';
import { scanAll } from './scan-all';

type DeviceItem = Device & { deviceId: string };

/** Devices table: one item per device, the device joined with its site. */
export class DynamoDeviceRegistry implements DeviceRegistry {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(deviceId: string): Promise<Device | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { deviceId } }));
    return out.Item ? toDevice(out.Item as DeviceItem) : undefined;
  }

  async list(filter: DeviceFilter = {}): Promise<Device[]> {
    const conditions: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(filter)) {
      if (value === undefined) continue;
      conditions.push(`#${key} = :${key}`);
      names[`#${key}`] = key;
      values[`:${key}`] = value;
    }
    const items = await scanAll<DeviceItem>(this.doc, {
      TableName: this.tableName,
      FilterExpression: conditions.length ? conditions.join(' AND ') : undefined,
      ExpressionAttributeNames: conditions.length ? names : undefined,
      ExpressionAttributeValues: conditions.length ? values : undefined,
    });
    const devices = items.map(toDevice);
    return devices.sort((a, b) => a.id.localeCompare(b.id));
  }

  async putMany(devices: readonly Device[]): Promise<void> {
    const items = devices.map((d) => ({ ...d, deviceId: d.id }) as DeviceItem & Record<string, unknown>);
    const failed = await batchWriteAll(this.doc, this.tableName, items, (i) => i.deviceId);
    if (failed.length > 0)
      throw new Error(`${failed.length} devices could not be written to ${this.tableName}`);
  }

  async setMaintenance(
    deviceId: string,
    on: boolean,
    reason?: string,
    details: MaintenanceDetails = {},
  ): Promise<Device | undefined> {
    // Each optional attribute is set when given and removed otherwise, so an old reason, end or actor never lingers.
    const optional = {
      maintenanceReason: reason,
      maintenanceUntil: details.until,
      maintenanceBy: details.by,
    };
    const set = ['maintenance = :on'];
    const remove: string[] = [];
    const values: Record<string, unknown> = { ':on': on };
    for (const [name, value] of Object.entries(optional)) {
      if (value === undefined || value === '') remove.push(name);
      else {
        set.push(`${name} = :${name}`);
        values[`:${name}`] = value;
      }
    }
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { deviceId },
          UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: 'attribute_exists(deviceId)',
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toDevice(out.Attributes as DeviceItem);
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
  }
}

function toDevice(item: DeviceItem): Device {
  const { deviceId: _key, ...device } = item;
  return device as Device;
}
