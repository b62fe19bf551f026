/* memcpy and memset for builtins.c, linked from an archive. The volatile accesses keep the
   compiler from turning the loops back into calls to themselves. */
typedef __SIZE_TYPE__ size_t;

void *memcpy(void *restrict dest, const void *restrict src, size_t n) {
    volatile unsigned char *d = dest;
    const volatile unsigned char *s = src;
    while (n--) *d++ = *s++;
    return dest;
}

void *memset(void *dest, int c, size_t n) {
    volatile unsigned char *d = dest;
    while (n--) *d++ = (unsigned char)c;
    return dest;
}

/* Never referenced: an archive member's unused function is not linked in. */
unsigned mini_unused(void) { return 99; }
