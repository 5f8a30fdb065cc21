// The scale benchmark: the same frame drawn from the merged buffers and one draw call per
// line, alternately in one page, timed to completion (a 1-pixel read waits for the GPU, so
// the figures are not capped by the display's refresh rate).

export async function runBenchmark(renderer, camera, frameOf, seconds) {
  const result = {};
  for (const mode of ['merged', 'naive']) {
    renderer.naive = mode === 'naive';
    result[mode] = await measure(renderer, camera, frameOf, seconds);
  }
  renderer.naive = false;
  result.ratio = result.merged.fps / result.naive.fps;
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
