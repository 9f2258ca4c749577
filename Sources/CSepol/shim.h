/*
 * Argus's window onto libsepol.
 *
 * libsepol's policydb API is exported only by the static archive, so the module map
 * names no library and the Sepol target links ":libsepol.a" itself. Everything Swift
 * cannot express (variadic callbacks, macro-only constants, headers that need a fixed
 * include order) is wrapped here in small static inline helpers. Field access that has
 * drifted between libsepol versions is kept in this file too.
 */
#ifndef ARGUS_CSEPOL_SHIM_H
#define ARGUS_CSEPOL_SHIM_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sepol/sepol.h>
#include <sepol/handle.h>
#include <sepol/debug.h>
#include <sepol/policydb/policydb.h>
#include <sepol/policydb/avtab.h>
#include <sepol/policydb/conditional.h>
#include <sepol/policydb/constraint.h>
#include <sepol/policydb/context.h>
#include <sepol/policydb/ebitmap.h>
#include <sepol/policydb/hashtab.h>
#include <sepol/policydb/mls_types.h>
#include <sepol/policydb/services.h>
#include <sepol/policydb/sidtab.h>

/* ---- diagnostics: libsepol reports through a C-variadic callback ---- */

typedef struct argus_msgbuf {
    char text[1024];
} argus_msgbuf;

static void argus_msg_collect(void *arg, sepol_handle_t *handle, const char *fmt, ...) {
    (void)handle;
    argus_msgbuf *buf = (argus_msgbuf *)arg;
    if (buf == NULL) return;
    va_list ap;
    va_start(ap, fmt);
    /* keep the first message: it names the failing section */
    if (buf->text[0] == '\0') vsnprintf(buf->text, sizeof buf->text, fmt, ap);
    va_end(ap);
}

/* Creates a handle whose messages land in `buf` instead of stderr. */
static inline sepol_handle_t *argus_handle_create(argus_msgbuf *buf) {
    sepol_handle_t *h = sepol_handle_create();
    if (h != NULL) sepol_msg_set_callback(h, argus_msg_collect, buf);
    return h;
}

/* Silences the process-wide default handle used by the services API. */
static inline void argus_silence_default_handle(void) {
    sepol_debug(0);
}

/* ---- loading ---- */

static inline policydb_t *argus_policydb_from_image(sepol_handle_t *h, void *data, size_t len) {
    policydb_t *p = (policydb_t *)calloc(1, sizeof(policydb_t));
    if (p == NULL) return NULL;
    if (policydb_init(p) != 0) { free(p); return NULL; }
    policy_file_t pf;
    policy_file_init(&pf);
    pf.type = PF_USE_MEMORY;
    pf.data = (char *)data;
    pf.len = len;
    pf.handle = h;
    if (policydb_read(p, &pf, 0) != 0) {
        policydb_destroy(p);
        free(p);
        return NULL;
    }
    return p;
}

static inline void argus_policydb_free(policydb_t *p) {
    if (p == NULL) return;
    policydb_destroy(p);
    free(p);
}

/* ---- plain accessors (macros and fixed arrays Swift does not import well) ---- */

static inline int argus_is_xen(const policydb_t *p) { return p->target_platform == SEPOL_TARGET_XEN; }
static inline int argus_is_kernel(const policydb_t *p) { return p->policy_type == POLICY_KERN; }
/* The struct behind a symbol value (class, role, type, user, boolean), NULL for a gap. */
static inline class_datum_t *argus_class_struct(const policydb_t *p, uint32_t value) {
    return value >= 1 && value <= p->p_classes.nprim && p->class_val_to_struct ? p->class_val_to_struct[value - 1] : NULL;
}
static inline role_datum_t *argus_role_struct(const policydb_t *p, uint32_t value) {
    return value >= 1 && value <= p->p_roles.nprim && p->role_val_to_struct ? p->role_val_to_struct[value - 1] : NULL;
}
static inline type_datum_t *argus_type_struct(const policydb_t *p, uint32_t value) {
    return value >= 1 && value <= p->p_types.nprim && p->type_val_to_struct ? p->type_val_to_struct[value - 1] : NULL;
}
static inline user_datum_t *argus_user_struct(const policydb_t *p, uint32_t value) {
    return value >= 1 && value <= p->p_users.nprim && p->user_val_to_struct ? p->user_val_to_struct[value - 1] : NULL;
}
static inline cond_bool_datum_t *argus_bool_struct(const policydb_t *p, uint32_t value) {
    return value >= 1 && value <= p->p_bools.nprim && p->bool_val_to_struct ? p->bool_val_to_struct[value - 1] : NULL;
}
static inline symtab_t *argus_symtab(policydb_t *p, int which) { return &p->symtab[which]; }
static inline uint32_t argus_sym_count(const policydb_t *p, int which) { return p->symtab[which].nprim; }
/* The name of a symbol value, NULL when the value is out of range or names nothing (a gap). */
static inline const char *argus_sym_name(const policydb_t *p, int which, uint32_t value) {
    if (value == 0 || value > p->symtab[which].nprim || p->sym_val_to_name[which] == NULL) return NULL;
    return p->sym_val_to_name[which][value - 1];
}
static inline ocontext_t *argus_ocontexts(policydb_t *p, int which) { return p->ocontexts[which]; }
static inline uint32_t argus_cond_bool_of(const cond_expr_t *e) { return e->bool; }
static inline uint32_t argus_ocon_sid_number(const ocontext_t *c) { return c->sid[0]; }
static inline context_struct_t *argus_ocon_context(ocontext_t *c) { return &c->context[0]; }
static inline mls_level_t *argus_range_level(mls_range_t *r, int which) { return &r->level[which]; }
static inline uint32_t argus_polcap_highbit(const policydb_t *p) { return p->policycaps.highbit; }

/* ---- the services API, used as the test oracle (process-global, one thread) ---- */

typedef struct argus_oracle {
    policydb_t *policy;
    sidtab_t sidtab;
} argus_oracle;

static inline int argus_oracle_install(argus_oracle *o, policydb_t *p) {
    o->policy = p;
    if (sepol_sidtab_init(&o->sidtab) != 0) return -1;
    if (policydb_load_isids(p, &o->sidtab) != 0) return -1;
    sepol_set_policydb(p);
    sepol_set_sidtab(&o->sidtab);
    return 0;
}

static inline void argus_oracle_uninstall(argus_oracle *o) {
    sepol_sidtab_destroy(&o->sidtab);
    o->policy = NULL;
}

typedef struct argus_av {
    uint32_t allowed;
    uint32_t auditallow;
    uint32_t auditdeny;
} argus_av;

static inline int argus_oracle_compute_av(uint32_t ssid, uint32_t tsid, uint16_t tclass, argus_av *out) {
    struct sepol_av_decision avd;
    memset(&avd, 0, sizeof avd);
    int rc = sepol_compute_av(ssid, tsid, tclass, 0xffffffffu, &avd);
    out->allowed = avd.allowed;
    out->auditallow = avd.auditallow;
    out->auditdeny = avd.auditdeny;
    return rc;
}

/* Sets a boolean's current value and re-evaluates every conditional. */
static inline int argus_set_bool(policydb_t *p, uint32_t value, int state) {
    if (value == 0 || value > p->p_bools.nprim) return -1;
    p->bool_val_to_struct[value - 1]->state = state ? 1 : 0;
    return evaluate_conds(p);
}

#endif
