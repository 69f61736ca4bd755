/* Short names for the contract numbers, every one taken from the generated vmi-api3.h. */
#ifndef HV_CONTRACT_H
#define HV_CONTRACT_H
#include "vmi-api3.h"

enum {
#define X(name, nr) VMW_HC_##name = nr,
    VMI_API3_VMWARE_HC(X)
#undef X
#define X(name, nr) VMW_ASYNC_##name = nr,
    VMI_API3_VMWARE_ASYNC(X)
#undef X
#define X(name, nr) XEN_HC_##name = nr,
    VMI_API3_XEN_HC(X)
#undef X
#define X(name, nr) XEN_MMUEXT_##name = nr,
    VMI_API3_XEN_MMUEXT(X)
#undef X
#define X(name, nr) XEN_SCHEDOP_##name = nr,
    VMI_API3_XEN_SCHEDOP(X)
#undef X
#define X(name, nr) XEN_VCPUOP_##name = nr,
    VMI_API3_XEN_VCPUOP(X)
#undef X
#define X(name, nr) XEN_SHUTDOWN_##name = nr,
    VMI_API3_XEN_SHUTDOWN(X)
#undef X
#define X(name, nr) XEN_SHINFO_##name = nr,
    VMI_API3_XEN_SHINFO(X)
#undef X
#define X(name, nr) XEN_##name = nr,
    VMI_API3_XEN_ABI(X)
#undef X
};

static inline const char *vmware_hypercall_name(unsigned nr) {
    switch (nr) {
#define X(name, n) case n: return #name;
        VMI_API3_VMWARE_HC(X)
#undef X
    }
    return 0;
}

static inline const char *xen_hypercall_name(unsigned nr) {
    switch (nr) {
#define X(name, n) case n: return #name;
        VMI_API3_XEN_HC(X)
#undef X
    }
    return 0;
}
#endif
