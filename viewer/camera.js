// A small orbit camera and the 4×4 matrix helpers it needs (column-major, as WebGL wants).

export class OrbitCamera {
  constructor() {
    this.yaw = 0.6;
    this.pitch = 0.25;
    this.distance = 200;
    this.target = [0, -50, 0];
    this.fov = (45 * Math.PI) / 180;
  }

  eye() {
    const c = Math.cos(this.pitch);
    return [
      this.target[0] + this.distance * c * Math.sin(this.yaw),
      this.target[1] + this.distance * Math.sin(this.pitch),
      this.target[2] + this.distance * c * Math.cos(this.yaw),
    ];
  }

  matrix(aspect) {
    const near = this.distance / 100;
    const far = this.distance * 10;
    return multiply(perspective(this.fov, aspect, near, far), lookAt(this.eye(), this.target, [0, 1, 0]));
  }

  rotate(dx, dy) {
    this.yaw -= dx * 0.006;
    this.pitch = Math.max(-1.5, Math.min(1.5, this.pitch + dy * 0.006));
  }

  zoom(factor) {
    this.distance = Math.max(1, Math.min(1e5, this.distance * factor));
  }

  /** Moves the target in the screen plane by pixels (at the target's depth). */
  pan(dx, dy, viewportHeight) {
    const scale = (2 * this.distance * Math.tan(this.fov / 2)) / viewportHeight;
    const [ex, , ez] = this.eye();
    const fx = this.target[0] - ex;
    const fz = this.target[2] - ez;
    const len = Math.hypot(fx, fz) || 1;
    const right = [-fz / len, 0, fx / len];
    this.target[0] -= right[0] * dx * scale;
    this.target[2] -= right[2] * dx * scale;
    this.target[1] += dy * scale;
  }

  /** Frames a bounding sphere. */
  fit(center, radius, aspect) {
    this.target = center.slice();
    const half = Math.min(this.fov / 2, Math.atan(Math.tan(this.fov / 2) * aspect));
    this.distance = (radius / Math.sin(half)) * 1.15; // a margin for the panels over the canvas
  }
}

function perspective(fov, aspect, near, far) {
  const f = 1 / Math.tan(fov / 2);
  const nf = 1 / (near - far);
  return new Float32Array([f / aspect, 0, 0, 0, 0, f, 0, 0, 0, 0, (far + near) * nf, -1, 0, 0, 2 * far * near * nf, 0]);
}

function lookAt(eye, target, up) {
  let zx = eye[0] - target[0], zy = eye[1] - target[1], zz = eye[2] - target[2];
  let l = Math.hypot(zx, zy, zz) || 1;
  zx /= l; zy /= l; zz /= l;
  let xx = up[1] * zz - up[2] * zy, xy = up[2] * zx - up[0] * zz, xz = up[0] * zy - up[1] * zx;
  l = Math.hypot(xx, xy, xz) || 1;
  xx /= l; xy /= l; xz /= l;
  const yx = zy * xz - zz * xy, yy = zz * xx - zx * xz, yz = zx * xy - zy * xx;
  return new Float32Array([
    xx, yx, zx, 0,
    xy, yy, zy, 0,
    xz, yz, zz, 0,
    -(xx * eye[0] + xy * eye[1] + xz * eye[2]),
    -(yx * eye[0] + yy * eye[1] + yz * eye[2]),
    -(zx * eye[0] + zy * eye[1] + zz * eye[2]),
    1,
  ]);
}

function multiply(a, b) {
  const out = new Float32Array(16);
  for (let c = 0; c < 4; c++) {
    for (let r = 0; r < 4; r++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[k * 4 + r] * b[c * 4 + k];
      out[c * 4 + r] = s;
    }
  }
  return out;
}

/** Projects a point to CSS pixels; null when behind the camera. */
export function project(m, x, y, z, width, height) {
  const w = m[3] * x + m[7] * y + m[11] * z + m[15];
  if (w <= 1e-6) return null;
  const px = (m[0] * x + m[4] * y + m[8] * z + m[12]) / w;
  const py = (m[1] * x + m[5] * y + m[9] * z + m[13]) / w;
  return [(px * 0.5 + 0.5) * width, (0.5 - py * 0.5) * height];
}
