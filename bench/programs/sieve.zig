// Loops over arrays: the sieve of Eratosthenes over a stack array, repeated `n` times with a
// limit that changes each round, then a sum over the array.
export fn run(n: u32) u32 {
    var total: u32 = 0;
    var r: u32 = 0;
    while (r < n) : (r += 1) {
        const limit: u32 = 8192 - (r & 63);
        var flags: [8192]bool = undefined;
        @memset(&flags, true);
        var i: u32 = 2;
        while (i * i < limit) : (i += 1) {
            if (flags[i]) {
                var j: u32 = i * i;
                while (j < limit) : (j += i) flags[j] = false;
            }
        }
        var k: u32 = 2;
        while (k < limit) : (k += 1) {
            if (flags[k]) total +%= k;
        }
    }
    return total;
}
