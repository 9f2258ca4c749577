/* Argus's guards around libsepol's policy reader (see sepol_guard.c). */
#ifndef ARGUS_SEPOL_GUARD_H
#define ARGUS_SEPOL_GUARD_H
/* Number of policies the guards refused, for tests. */
unsigned long argus_guard_refusals(void);
/* Switch the guards on and off for the calling thread (around policydb_read). */
void argus_guard_begin(void);
void argus_guard_end(void);
#endif
