/* Everything is inline in include/cache_hint.h; SwiftPM wants one source file per C target. */
#include "cache_hint.h"
