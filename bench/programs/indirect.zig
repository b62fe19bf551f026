// Indirect calls: a (mutable, so not devirtualized) table of function pointers.
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

var ops = [4]*const fn (u32, u32) u32{ &opAdd, &opXor, &opMul, &opSub };

export fn run(n: u32) u32 {
    var acc: u32 = 1;
    var i: u32 = 0;
    while (i < n) : (i += 1) acc = ops[i & 3](acc, i);
    return acc;
}
