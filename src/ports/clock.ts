// The clock port: the time decisions are made at. Runs that apply use the machine clock; plans may be given another.

/** Milliseconds since the epoch, now. */
export type Clock = () => number;

/** The machine clock. */
export const systemClock: Clock = () => Date.now();
