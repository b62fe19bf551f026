/* The C side of calls64.air (wasm64). */
typedef unsigned long long u64;
typedef u64 (*unop)(u64);
extern u64 wabe_twice(u64 x);
extern u64 wabe_value;
u64 c_table[3] = {5, 6, 7};
u64 *c_ref = &c_table[2];
u64 c_call_wabe(u64 x) { return wabe_twice(x) + wabe_value; }
u64 *c_table_ptr(void) { return c_table; }
u64 c_ref_value(void) { return *c_ref; }
u64 c_apply(unop f, u64 x) { return f(x); }
static u64 c_inc(u64 x) { return x + 1; }
unop c_get_inc(void) { return c_inc; }
