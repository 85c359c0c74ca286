// Definitions shared by every D3 library: the exception barrier of the exported functions,
// the d3_abi_* queries, the test hook that throws inside a computation (declared in
// d3_abi.h) and, for the CPU library, the stub of d3_cuda_compute_on_device. Included by exactly one translation unit per library (d3_cpu.cpp, d3_cuda.cu).
#ifndef ASE_ELECTROLYTE_D3_ABI_EXPORTS_H
#define ASE_ELECTROLYTE_D3_ABI_EXPORTS_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <atomic>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#include "d3_abi.h"

namespace d3abi {

inline void set_error(char* err, int errlen, const char* what) {
    if (err && errlen > 0) snprintf(err, (size_t)errlen, "%s", what);
}

inline int fail(char* err, int errlen, int status, const char* what) {
    set_error(err, errlen, what);
    return status;
}

// Thrown by the kernels for arguments they cannot use; reported as D3_INVALID.
struct invalid_argument : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// The body of every exported function: runs f() (which returns a D3Status) and turns any
// exception into a status and a message, so that nothing can unwind into Python (where an
// escaping C++ exception calls std::terminate and aborts the interpreter). `where` names
// the library in the messages.
template <class F>
int guard(const char* where, char* err, int errlen, F&& f) noexcept {
    char msg[512];
    try {
        return f();
    } catch (const std::bad_alloc&) {
        snprintf(msg, sizeof msg, "out of host memory in %s", where);
        return fail(err, errlen, D3_OUT_OF_MEMORY, msg);
    } catch (const std::invalid_argument& e) {
        snprintf(msg, sizeof msg, "%s: %s", where, e.what());
        return fail(err, errlen, D3_INVALID, msg);
    } catch (const std::exception& e) {
        snprintf(msg, sizeof msg, "C++ exception in %s: %s", where, e.what());
        return fail(err, errlen, D3_ERROR, msg);
    } catch (...) {
        snprintf(msg, sizeof msg, "unknown (non-standard) C++ exception in %s", where);
        return fail(err, errlen, D3_ERROR, msg);
    }
}

// Armed by d3_debug_throw_next; the compute paths call fault_point() where real failures
// happen (inside a worker thread on the CPU, after the device buffers are set up on CUDA).
inline std::atomic<int>& armed_fault() {
    static std::atomic<int> kind(0);
    return kind;
}

struct non_standard_exception {};

inline void fault_point() {
    const int kind = armed_fault().exchange(0);
    if (kind == 1) throw std::bad_alloc();
    if (kind == 2) throw std::runtime_error("test fault injected by d3_debug_throw_next");
    if (kind == 3) throw non_standard_exception();
}

}  // namespace d3abi

extern "C" {

int d3_abi_version(int* version, char* err, int errlen) {
    return d3abi::guard("d3_abi_version", err, errlen, [&] {
        *version = D3_ABI_VERSION;
        return (int)D3_OK;
    });
}

int d3_abi_struct_size(long long* size, char* err, int errlen) {
    return d3abi::guard("d3_abi_struct_size", err, errlen, [&] {
        *size = (long long)sizeof(D3System);
        return (int)D3_OK;
    });
}

int d3_abi_field_offset(const char* field, long long* offset, char* err, int errlen) {
    return d3abi::guard("d3_abi_field_offset", err, errlen, [&] {
#define D3_FIELD(name)                                          \
    if (strcmp(field, #name) == 0) {                            \
        *offset = (long long)offsetof(D3System, name);          \
        return (int)D3_OK;                                      \
    }
        D3_FIELD(natoms) D3_FIELD(nspecies) D3_FIELD(species) D3_FIELD(xyz)
        D3_FIELD(cell_mode) D3_FIELD(ntrans) D3_FIELD(trans) D3_FIELD(lat)
        D3_FIELD(nref) D3_FIELD(cnref) D3_FIELD(rcov) D3_FIELD(r4r2) D3_FIELD(r0ab)
        D3_FIELD(c6ref) D3_FIELD(damping) D3_FIELD(s6) D3_FIELD(s8) D3_FIELD(s9)
        D3_FIELD(a1) D3_FIELD(a2) D3_FIELD(a3) D3_FIELD(a4) D3_FIELD(rs6) D3_FIELD(rs8)
        D3_FIELD(alp) D3_FIELD(bet) D3_FIELD(cutoff) D3_FIELD(cn_cutoff)
        D3_FIELD(atm_cutoff) D3_FIELD(width) D3_FIELD(atm)
#undef D3_FIELD
        throw d3abi::invalid_argument(std::string("D3System has no field '") + field + "'");
    });
}

int d3_abi_damping_id(const char* name, int* id, char* err, int errlen) {
    return d3abi::guard("d3_abi_damping_id", err, errlen, [&] {
        static const struct { const char* name; int id; } table[D3_NUM_DAMPINGS] = {
            {"rational", D3_RATIONAL}, {"zero", D3_ZERO}, {"mzero", D3_MZERO},
            {"optimizedpower", D3_OPTIMIZEDPOWER}, {"cso", D3_CSO}};
        for (const auto& t : table)
            if (strcmp(name, t.name) == 0) {
                *id = t.id;
                return (int)D3_OK;
            }
        throw d3abi::invalid_argument(std::string("no damping named '") + name + "'");
    });
}

int d3_debug_throw_next(int kind, char* err, int errlen) {
    return d3abi::guard("d3_debug_throw_next", err, errlen, [&] {
        if (kind < 0 || kind > 3) throw d3abi::invalid_argument("kind must be 0, 1, 2 or 3");
        d3abi::armed_fault().store(kind);
        return (int)D3_OK;
    });
}

// The CPU library's d3_cuda_compute_on_device (d3_cuda.cu defines D3_CUDA_LIBRARY and the
// real one): a caller that reaches it gets a clear status instead of a missing symbol.
#if !defined(D3_CUDA_LIBRARY)
int d3_cuda_compute_on_device(const D3System*, int, void*, int, double*, double*, double*,
                              double*, char* err, int errlen) {
    return d3abi::fail(err, errlen, D3_NO_CUDA,
                       "this D3 library was built without CUDA (the CPU kernel); use "
                       "device='cpu' or build the CUDA kernel with nvcc");
}
#endif

}  // extern "C"

#endif  // ASE_ELECTROLYTE_D3_ABI_EXPORTS_H
