#ifndef ARGUS_CACHE_HINT_H
#define ARGUS_CACHE_HINT_H

/* Cache hints for the traffic simulator's software pipeline. A hint never changes a result:
   the CPU may drop it, and it never faults, even on an address nothing is mapped at. Swift
   has no prefetch of its own; these inline into the Swift caller. */

static inline void argus_prefetch_read(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

static inline void argus_prefetch_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

#endif
