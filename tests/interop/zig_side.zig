// The Zig side of zig.air, compiled with `zig build-obj`.
extern fn wabe_square(x: u32) u32;
var counter: u32 = 3;
export fn z_add(a: u32, b: u32) u32 { counter += 1; return a + b + counter + wabe_square(2); }
fn helper(x: u32) u32 { return x * 7; }
export fn z_ptr() *const fn (u32) callconv(.c) u32 { return &wrapped; }
fn wrapped(x: u32) callconv(.c) u32 { return helper(x); }
