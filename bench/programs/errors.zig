// Error unions: parse decimal numbers, returning an error for empty, invalid or too long input.
// The input of round `r` is `inputs[(i + r) & 7]`, so that the parses cannot be folded away.
const ParseError = error{ Empty, Invalid, Overflow };

var inputs = [8][]const u8{ "123", "45x", "", "999999", "4294967296", "7", "0", "31337" };

fn parse(s: []const u8) ParseError!u32 {
    if (s.len == 0) return error.Empty;
    if (s.len > 9) return error.Overflow;
    var v: u32 = 0;
    var i: usize = 0;
    while (i < s.len) : (i += 1) {
        const c = s[i];
        if (c < '0' or c > '9') return error.Invalid;
        v = v * 10 + (c - '0');
    }
    return v;
}

export fn run(n: u32) u32 {
    var total: u32 = 0;
    var errs: u32 = 0;
    var r: u32 = 0;
    while (r < n) : (r += 1) {
        var i: usize = 0;
        while (i < inputs.len) : (i += 1) {
            if (parse(inputs[(i + r) & 7])) |v| {
                total +%= v +% r;
            } else |e| switch (e) {
                error.Empty => errs +%= 1,
                error.Invalid => errs +%= 2,
                error.Overflow => errs +%= 3,
            }
        }
    }
    return total +% errs *% 1000;
}
