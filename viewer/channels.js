// The channels of a trace from a patched runtime (the picture's `channels[]`; stock traces
// have none): what one is in words, the colour of its arrows when arrows are coloured by
// channel (`c`), and the one channel shown after a click on its arrow.

import { stackLines } from 'gotrace/format.js';
import { CHANNEL_COLORS, channelCode, channelColor, kindCode } from 'gotrace/palette.js';

export class Channels {
  constructor(picture) {
    // Every picture of a trace (overview, detail windows) lists the same channels.
    this.list = picture.channels ?? [];
    this.index = new Map(this.list.map((c, i) => [c.id, i]));
    // Colours go to the channels that carried something, in the order they are listed (by
    // id): the runtime's own idle channels would take the first ones.
    this.used = this.list.filter((c) => c.sends > 0 || c.recvs > 0 || c.closed_ns !== undefined);
    this.slot = new Map(this.used.map((c, i) => [c.id, i]));
    this.byChannel = false; // arrows coloured by channel instead of by kind
    this.focus = null; // the id of the one channel whose arrows are shown, or null: all
  }

  get(id) {
    return this.list[this.index.get(id)];
  }

  /** Whether the arrow of message `m` is drawn. */
  shows(m) {
    return this.focus === null || m.channel === this.focus;
  }

  /** The colour code of the arrow of message `m`: its channel's, or its kind's. */
  code(m) {
    const slot = this.byChannel && m.channel !== undefined ? this.slot.get(m.channel) : undefined;
    return slot === undefined ? kindCode(m.kind) : channelCode(slot);
  }

  /** `channel 9: chan int, buffered 3`. */
  title(id) {
    const c = this.get(id);
    if (c?.capacity === undefined) return `channel ${id} (made before the trace started)`;
    const type = c.elem_type ?? c.elem_kind ?? '?';
    return `channel ${id}: chan ${type}, ${c.capacity === 0 ? 'unbuffered' : `buffered ${c.capacity}`}`;
  }

  /** Hover lines for channel `id`: what it is, where it was made. */
  describe(id, stacks) {
    const made = stackLines(stacks?.[this.get(id)?.make_stack]);
    return [this.title(id), ...(made.length ? ['made at:', ...made] : [])];
  }

  /** The panel's line about the channel in focus: what it is and where it was made. */
  focusText(stacks) {
    if (this.focus === null) return null;
    const where = stackLines(stacks?.[this.get(this.focus)?.make_stack])[0]?.trim();
    return `only ${this.title(this.focus)}${where ? `, made at ${where}` : ''} (click empty space or Esc: all)`;
  }

  /** Legend rows [colour, text] for arrows coloured by channel: the channels that carried something. */
  legend() {
    const rows = this.used.slice(0, CHANNEL_COLORS.length).map((c, slot) => [channelColor(slot), this.title(c.id)]);
    if (this.used.length > rows.length) rows.push([null, `… ${this.used.length - rows.length} more channels (colours repeat)`]);
    return rows;
  }
}
