/** What a hardware status becomes in the event log: type, label and detail (the code follows from the type). Pure. */
import type { DoorEventType } from '../core/event-types.js';
import type { HardwareStatus } from '../drivers/door-hardware.js';

export interface HardwareEvent {
  type: DoorEventType;
  label: string;
  /** The part that reported it ("door 1 Wiegand reader"), for the event's source. */
  source: string;
  detail: Record<string, unknown> | undefined;
}

export function hardwareEvent(doorName: string, st: HardwareStatus): HardwareEvent {
  switch (st.type) {
    case 'tamper':
      return { type: 'tamper', label: `${doorName}: TAMPER alarm (${st.source})`, source: st.source, detail: undefined };
    case 'tamper_cleared':
      return { type: 'tamper_cleared', label: `${doorName}: tamper cleared (${st.source})`, source: st.source, detail: undefined };
    case 'reader_offline':
    case 'reader_online':
      return {
        type: st.type,
        label: `${doorName}: ${st.source} ${st.type === 'reader_offline' ? `offline${st.reason ? ` (${st.reason})` : ''}` : 'back online'}`,
        source: st.source,
        detail: st.reason ? { reason: st.reason } : undefined,
      };
    case 'read_error':
      return {
        type: 'read_error',
        label: `${doorName}: ${st.count} read error${st.count === 1 ? '' : 's'} from ${st.source} (${st.reason})`,
        source: st.source,
        detail: { reason: st.reason, count: st.count, bits: st.bits ?? null },
      };
  }
}
