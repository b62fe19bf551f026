/* The C side of builtins.air: memcpy/memset builtins (libcalls with -mcpu=mvp, resolved from
   an archive built from minilibc.c) and static constructors with priorities. */
extern unsigned wabe_seed(void);

static unsigned char buf[256];
static unsigned char copy[256];
static unsigned ctor_value;
static unsigned order;

__attribute__((constructor(102))) static void second(void) { order = order * 10 + 2; }
__attribute__((constructor(101))) static void first(void) { order = order * 10 + 1; ctor_value = wabe_seed() * 2; }

unsigned c_builtins(unsigned n) {
    __builtin_memset(buf, (int)(n & 0xff), sizeof buf);
    __builtin_memcpy(copy, buf, sizeof buf);
    unsigned sum = 0;
    for (unsigned i = 0; i < sizeof copy; i++) sum += copy[i];
    return sum + copy[255];
}
unsigned c_ctor_value(void) { return ctor_value; }
unsigned c_order(void) { return order; }
