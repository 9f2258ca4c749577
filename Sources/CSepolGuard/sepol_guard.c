/*
 * Guards linked around libsepol's policy reader (ld --wrap), so that a hostile or damaged
 * binary costs time and memory in proportion to its size.
 *
 * 1. __wrap_avtab_read. policydb_read trusts each symbol table's count of values (nprim):
 *    it only refuses 0xffffffff. The count then sizes arrays that policydb_read allocates and
 *    walks (the value-to-name and value-to-struct arrays, the type/attribute maps) and that
 *    policydb_destroy walks again: one changed byte asks for gigabytes and billions of loop
 *    steps. Every value must name an entry the file actually holds, so a count may exceed the
 *    number of entries read (nel) only by the gaps a kernel policy can have. The access vector
 *    table is read right after the symbol tables, before any of those arrays exist: the guard
 *    checks the counts there and refuses the binary before libsepol allocates by them.
 *
 * 2. __wrap_validate_policydb. libsepol 3.4 builds a bitmap of unused symbol values ("gaps")
 *    for every symbol table before validating a policy, setting one bit at a time in a linked
 *    list: quadratic in the number of gaps. A compiled kernel policy has no gaps worth
 *    speaking of, so the guard refuses tables with more than a handful before libsepol starts.
 *
 * The guards act only while argus_guard_begin() is in force on the calling thread.
 */
#include <stddef.h>
#include <stdint.h>
#include <sepol/handle.h>
#include <sepol/policydb/policydb.h>
#include <sepol/policydb/avtab.h>
#include "sepol_guard.h"

int __real_validate_policydb(sepol_handle_t *handle, policydb_t *p);
int __real_avtab_read(avtab_t *a, struct policy_file *fp, uint32_t vers);

static _Atomic unsigned long refusals;
static _Thread_local int guarding;

unsigned long argus_guard_refusals(void) { return refusals; }
void argus_guard_begin(void) { guarding = 1; }
void argus_guard_end(void) { guarding = 0; }

enum { ARGUS_MAX_GAPS = 4096 };

static int refuse(void) {
    refusals++;
    return -1;
}

int __wrap_avtab_read(avtab_t *a, struct policy_file *fp, uint32_t vers) {
    if (guarding) {
        /* Only policydb_read calls avtab_read, for its own te_avtab. */
        policydb_t *p = (policydb_t *)((char *)a - offsetof(policydb_t, te_avtab));
        for (int i = 0; i < SYM_NUM; i++) {
            uint32_t nel = p->symtab[i].table ? p->symtab[i].table->nel : 0;
            if ((uint64_t)p->symtab[i].nprim > (uint64_t)nel + ARGUS_MAX_GAPS) return refuse();
        }
    }
    return __real_avtab_read(a, fp, vers);
}

int __wrap_validate_policydb(sepol_handle_t *handle, policydb_t *p) {
    static const int tables[] = { SYM_CLASSES, SYM_ROLES, SYM_TYPES, SYM_USERS, SYM_BOOLS, SYM_LEVELS, SYM_CATS };
    for (unsigned t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        int which = tables[t];
        uint32_t nprim = p->symtab[which].nprim;
        char **names = p->sym_val_to_name[which];
        if (nprim == 0) continue;
        if (names == NULL) return refuse();
        uint32_t gaps = 0;
        for (uint32_t i = 0; i < nprim; i++) {
            if (names[i] == NULL && ++gaps > ARGUS_MAX_GAPS) return refuse();
        }
    }
    return __real_validate_policydb(handle, p);
}
