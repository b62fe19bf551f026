/* The C side of calls.air: calls into wabe, data and function pointers both ways. */
typedef unsigned (*unop)(unsigned);

extern unsigned wabe_square(unsigned x);
extern unsigned wabe_counter;
extern const unop wabe_fn_ptr;

unsigned c_table[4] = {10, 20, 30, 40};
unsigned *c_table_ref = &c_table[1];

unsigned c_add(unsigned a, unsigned b) { return a + b; }
unsigned c_call_wabe(unsigned x) { return wabe_square(x) + 1; }
unsigned c_apply(unop f, unsigned x) { return f(x) + f(1); }
unsigned c_read_counter(void) { return wabe_counter; }
void c_bump_counter(void) { wabe_counter += 5; }
unsigned *c_table_ptr(void) { return c_table; }
unsigned c_table_ref_value(void) { return *c_table_ref; }
static unsigned c_triple(unsigned x) { return 3 * x; }
unop c_get_triple(void) { return c_triple; }
unsigned c_via_data(unsigned x) { return wabe_fn_ptr(x); }
