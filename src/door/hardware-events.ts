/** What a hardware status becomes in the event log: type, DoorFlow code, label and detail. Pure. */
import { DOOR_EVENT_CODES, type EventType } from '../core/event-codes.js';
import type { HardwareStatus } from '../drivers/door-hardware.js';

export interface HardwareEvent {
  type: EventType;
  code: number;
  label: string;
  detail: Record<string, unknown>;
}

export function hardwareEvent(doorName: string, st: HardwareStatus): HardwareEvent {
  switch (st.type) {
    case 'tamper':
      return { type: 'tamper', code: DOOR_EVENT_CODES.tamper, label: `${doorName}: TAMPER alarm (${st.source})`, detail: { source: st.source } };
    case 'tamper_cleared':
      return { type: 'tamper_cleared', code: DOOR_EVENT_CODES.tamper_cleared, label: `${doorName}: tamper cleared (${st.source})`, detail: { source: st.source } };
    case 'reader_offline':
    case 'reader_online':
      return {
        type: st.type,
        code: DOOR_EVENT_CODES[st.type],
        label: `${doorName}: ${st.source} ${st.type === 'reader_offline' ? `offline${st.reason ? ` (${st.reason})` : ''}` : 'back online'}`,
        detail: { source: st.source, reason: st.reason ?? null },
      };
    case 'read_error':
      return {
        type: 'read_error',
        code: DOOR_EVENT_CODES.read_error,
        label: `${doorName}: ${st.count} read error${st.count === 1 ? '' : 's'} from ${st.source} (${st.reason})`,
        detail: { source: st.source, reason: st.reason, count: st.count, bits: st.bits ?? null },
      };
  }
}
