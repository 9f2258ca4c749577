/*
 * Argus's window onto libselinux (libselinux1-dev): file-context labelling (selabel) for the
 * device nodes of a guest's Argo driver, and the running kernel's security server for live
 * mode. Only ArgusGuest's LibSELinux.swift includes this. libselinux.so does not depend on
 * libsepol, so linking it next to the static libsepol.a leaves a single libsepol in the process.
 *
 * selabel_open takes an array of options whose `value` is a `const char *` (also used as a
 * boolean): built here so that Swift passes plain values.
 */
#ifndef ARGUS_CSELINUX_SHIM_H
#define ARGUS_CSELINUX_SHIM_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <selinux/selinux.h>
#include <selinux/label.h>

/* Context validation for selabel: accept every context here. Offline, the contexts are checked
 * against the guest's policy file by Argus, not against the running kernel's policy (the default
 * validation asks the kernel, which fails where SELinux is off). */
static int argus_selinux_accept_context(char **context) { (void)context; return 0; }

/* Opens a file-context labelling handle on exactly `path`, validating: libselinux then compiles
 * every regular expression at load time and reports a bad one with its line (without
 * validation it compiles them at lookup and answers ENOENT, as if nothing matched). */
static inline struct selabel_handle *argus_selabel_open_file_contexts(const char *path) {
    union selinux_callback validate;
    validate.func_validate = argus_selinux_accept_context;
    selinux_set_callback(SELINUX_CB_VALIDATE, validate);
    struct selinux_opt options[3];
    memset(options, 0, sizeof options);
    options[0].type = SELABEL_OPT_PATH;
    options[0].value = path;
    options[1].type = SELABEL_OPT_VALIDATE;
    options[1].value = (const char *)1;   /* true */
    options[2].type = SELABEL_OPT_BASEONLY;
    options[2].value = (const char *)1;   /* true: no .homedirs/.local beside the file */
    return selabel_open(SELABEL_CTX_FILE, options, 3);
}

/* Looks a path up as a character device. Returns 0 and a malloc'ed context, or -1 and errno
 * (ENOENT: no entry matches). */
static inline int argus_selabel_lookup_chr(struct selabel_handle *h, const char *path, char **context) {
    return selabel_lookup(h, context, path, S_IFCHR);
}

static inline int argus_selabel_lookup_mode(struct selabel_handle *h, const char *path, unsigned int mode, char **context) {
    return selabel_lookup(h, context, path, (int)mode);
}

static inline int argus_errno(void) { return errno; }

static inline unsigned int argus_mode_character_device(void) { return S_IFCHR; }
static inline unsigned int argus_mode_regular_file(void) { return S_IFREG; }

/* ---- diagnostics: libselinux logs through a C-variadic callback; keep the first message ---- */

/* A function-local static: Swift emits static inline functions (and their statics), never a
 * header's file-scope static variable. Callers hold a lock in Swift. */
static inline char *argus_selinux_message_buffer(void) {
    static char message[1024];
    return message;
}

static int argus_selinux_log(int type, const char *fmt, ...) {
    (void)type;
    char *message = argus_selinux_message_buffer();
    if (message[0] != '\0') return 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, 1024, fmt, ap);
    va_end(ap);
    return 0;
}

/* Routes libselinux's messages into argus_selinux_message (cleared) instead of stderr. */
static inline void argus_selinux_capture_messages(void) {
    argus_selinux_message_buffer()[0] = '\0';
    union selinux_callback cb;
    cb.func_log = argus_selinux_log;
    selinux_set_callback(SELINUX_CB_LOG, cb);
}

static inline const char *argus_selinux_first_message(void) { return argus_selinux_message_buffer(); }

/* security_compute_av's decision, flattened. */
typedef struct argus_selinux_av {
    unsigned int allowed;
    unsigned int decided;
    unsigned int auditallow;
    unsigned int auditdeny;
    unsigned int flags;
} argus_selinux_av;

static inline int argus_security_compute_av(const char *scon, const char *tcon, const char *tclass_name,
                                            argus_selinux_av *out) {
    security_class_t tclass = string_to_security_class(tclass_name);
    if (tclass == 0) { errno = EINVAL; return -1; }
    struct av_decision avd;
    memset(&avd, 0, sizeof avd);
    int rc = security_compute_av(scon, tcon, tclass, 0xffffffffu, &avd);
    if (rc != 0) return rc;
    out->allowed = avd.allowed;
    out->decided = avd.decided;
    out->auditallow = avd.auditallow;
    out->auditdeny = avd.auditdeny;
    out->flags = avd.flags;
    return 0;
}

/* The kernel's bit for a permission of a class (0: unknown to the loaded policy). */
static inline unsigned int argus_kernel_permission_bit(const char *tclass_name, const char *perm) {
    security_class_t tclass = string_to_security_class(tclass_name);
    if (tclass == 0) return 0;
    return string_to_av_perm(tclass, perm);
}

static inline unsigned int argus_avd_flags_permissive(void) { return SELINUX_AVD_FLAGS_PERMISSIVE; }

#endif
