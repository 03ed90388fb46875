/** A detector on the simulated fire-alarm panel. */
export interface SimulatedComponent {
  /** Loop (high 16 bits) and point (low 16 bits) packed in the 4-byte component address (notes §7.3). */
  readonly loop: number;
  readonly point: number;
  /** Where it is, as panels describe it (GB18030 on the wire, ≤ 31 bytes). */
  readonly description: string;
}

const PLACES = ['走廊', '大厅', '楼梯间', '电梯前室', '配电室', '厨房', '办公室', '会议室', '机房', '仓库'];
const LOOPS = 8;
const POINTS_PER_LOOP = 200;

/**
 * The n-th component of a panel: addresses spread over 8 loops of 200 points, and a location
 * such as "3层走廊". Deterministic, so a test can tell which detector an event came from.
 */
export function componentAt(n: number): SimulatedComponent {
  const i = Math.abs(Math.trunc(n)) % (LOOPS * POINTS_PER_LOOP);
  const loop = 1 + (i % LOOPS);
  const point = 1 + Math.floor(i / LOOPS);
  const floor = 1 + (Math.floor(i / PLACES.length) % 30);
  return { loop, point, description: `${floor}层${PLACES[i % PLACES.length] as string}` };
}
