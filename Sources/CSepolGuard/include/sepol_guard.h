/* Argus's guard around libsepol's policy validation (see sepol_guard.c). */
#ifndef ARGUS_SEPOL_GUARD_H
#define ARGUS_SEPOL_GUARD_H
/* Number of policies the guard refused, for tests. */
unsigned long argus_guard_refusals(void);
#endif
