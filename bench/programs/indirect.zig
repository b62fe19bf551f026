// Indirect calls: a table of function pointers, read through a volatile pointer so that the
// calls cannot be devirtualized.
const Op = *const fn (u32, u32) u32;

fn opAdd(a: u32, b: u32) u32 {
    return a +% b;
}
fn opXor(a: u32, b: u32) u32 {
    return a ^ b;
}
fn opMul(a: u32, b: u32) u32 {
    return a *% (b | 1);
}
fn opSub(a: u32, b: u32) u32 {
    return a -% b;
}

var ops = [4]Op{ &opAdd, &opXor, &opMul, &opSub };

export fn run(n: u32) u32 {
    const table: *volatile [4]Op = &ops;
    var acc: u32 = 1;
    var i: u32 = 0;
    while (i < n) : (i += 1) acc = table[i & 3](acc, i);
    return acc;
}
