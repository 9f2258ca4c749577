/* Xen FLASK definitions as Xen's build numbers them: security classes, */
/* initial SIDs and permission bits. Written by `argus defs --format c`. */
#ifndef ARGUS_FLASK_DEFINITIONS_H
#define ARGUS_FLASK_DEFINITIONS_H

/* Security classes, numbered from 1 in security_classes order. */
#define SECCLASS_ARGO                                    13

/* Permission bits of each class, in access_vectors order. */
#define ARGO__ENABLE                              (1UL << 0)
#define ARGO__REGISTER_SINGLE_SOURCE              (1UL << 1)
#define ARGO__REGISTER_ANY_SOURCE                 (1UL << 2)
#define ARGO__SEND                                (1UL << 3)

#endif /* ARGUS_FLASK_DEFINITIONS_H */
