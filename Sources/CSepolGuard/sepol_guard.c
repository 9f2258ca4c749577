/*
 * A guard linked around libsepol's validate_policydb (ld --wrap=validate_policydb).
 *
 * libsepol 3.4 builds a bitmap of unused symbol values ("gaps") for every symbol table
 * before validating a policy, setting one bit at a time in a linked list: quadratic in
 * the number of gaps. A corrupted count in a hostile or damaged binary makes that run
 * for hours. A compiled kernel policy has no gaps worth speaking of, so the guard refuses
 * tables with more than a handful before libsepol starts, and otherwise hands over.
 */
#include <stdint.h>
#include <sepol/handle.h>
#include <sepol/policydb/policydb.h>
#include "sepol_guard.h"

int __real_validate_policydb(sepol_handle_t *handle, policydb_t *p);

static unsigned long refusals;

unsigned long argus_guard_refusals(void) { return refusals; }

enum { ARGUS_MAX_GAPS = 4096 };

int __wrap_validate_policydb(sepol_handle_t *handle, policydb_t *p) {
    static const int tables[] = { SYM_CLASSES, SYM_ROLES, SYM_TYPES, SYM_USERS, SYM_BOOLS, SYM_LEVELS, SYM_CATS };
    for (unsigned t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        int which = tables[t];
        uint32_t nprim = p->symtab[which].nprim;
        char **names = p->sym_val_to_name[which];
        if (nprim == 0) continue;
        if (names == NULL) { refusals++; return -1; }
        uint32_t gaps = 0;
        for (uint32_t i = 0; i < nprim; i++) {
            if (names[i] == NULL && ++gaps > ARGUS_MAX_GAPS) { refusals++; return -1; }
        }
    }
    return __real_validate_policydb(handle, p);
}
