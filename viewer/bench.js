// The scale benchmark: the same frame drawn from the merged buffers and with one draw call
// per line, alternately in one page, timed to completion (a 1-pixel read waits for the GPU, so
// the figures are not capped by the display's refresh rate). Three cases: the default
// picture, 1 px lines (less to fill), and geometry only (the time cursor before the start, so
// nothing is rasterized: what is left is the cost of the calls and the vertices).

const CASES = [
  { name: 'default', frame: {} },
  { name: 'width1', frame: { lineWidth: 1 } },
  { name: 'geometry', frame: { time: -1 } },
];

export async function runBenchmark(renderer, camera, frameOf, seconds) {
  const result = {};
  for (const c of CASES) {
    const row = {};
    for (const mode of ['merged', 'naive']) {
      renderer.naive = mode === 'naive';
      row[mode] = await measure(renderer, camera, () => ({ ...frameOf(), ...c.frame }), seconds);
    }
    renderer.naive = false;
    row.ratio = row.merged.fps / row.naive.fps;
    result[c.name] = row;
  }
  return result;
}

async function measure(renderer, camera, frameOf, seconds) {
  const gl = renderer.gl;
  const pixel = new Uint8Array(4);
  const once = () => {
    camera.yaw += 0.01;
    const calls = renderer.draw(frameOf());
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
    return calls;
  };
  once(); // warm-up: shader compilation and buffer upload are not part of a frame
  let frames = 0;
  let calls = 0;
  const t0 = performance.now();
  while (frames < 3 || performance.now() - t0 < seconds * 1000) {
    calls = once();
    frames++;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const elapsed = (performance.now() - t0) / 1000;
  return { fps: frames / elapsed, frames, seconds: elapsed, drawCalls: calls };
}
