// Structs of f64: n-body-style vector math on four bodies, with small functions taking and
// returning a Vec3 by value.
const Vec3 = struct { x: f64, y: f64, z: f64 };

fn add(a: Vec3, b: Vec3) Vec3 {
    return .{ .x = a.x + b.x, .y = a.y + b.y, .z = a.z + b.z };
}
fn sub(a: Vec3, b: Vec3) Vec3 {
    return .{ .x = a.x - b.x, .y = a.y - b.y, .z = a.z - b.z };
}
fn scale(a: Vec3, k: f64) Vec3 {
    return .{ .x = a.x * k, .y = a.y * k, .z = a.z * k };
}
fn dot(a: Vec3, b: Vec3) f64 {
    return a.x * b.x + a.y * b.y + a.z * b.z;
}

export fn run(n: u32) f64 {
    var pos = [4]Vec3{
        .{ .x = 1.0, .y = 0.0, .z = 0.0 },
        .{ .x = 0.0, .y = 1.0, .z = 0.0 },
        .{ .x = 0.0, .y = 0.0, .z = 1.0 },
        .{ .x = 1.0, .y = 1.0, .z = 1.0 },
    };
    var vel = [4]Vec3{
        .{ .x = 0.0, .y = 0.0, .z = 0.0 },
        .{ .x = 0.0, .y = 0.0, .z = 0.0 },
        .{ .x = 0.0, .y = 0.0, .z = 0.0 },
        .{ .x = 0.0, .y = 0.0, .z = 0.0 },
    };
    var step: u32 = 0;
    while (step < n) : (step += 1) {
        var i: usize = 0;
        while (i < 4) : (i += 1) {
            var j: usize = 0;
            while (j < 4) : (j += 1) {
                if (i != j) {
                    const d = sub(pos[j], pos[i]);
                    const r2 = dot(d, d) + 0.01;
                    const inv = 1.0 / (r2 * @sqrt(r2));
                    vel[i] = add(vel[i], scale(d, inv * 0.001));
                }
            }
        }
        i = 0;
        while (i < 4) : (i += 1) pos[i] = add(pos[i], scale(vel[i], 0.01));
    }
    var e: f64 = 0.0;
    var k: usize = 0;
    while (k < 4) : (k += 1) e = e + dot(vel[k], vel[k]) + dot(pos[k], pos[k]);
    return e;
}
