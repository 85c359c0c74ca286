// Definitions shared by every D3 library: the exception barrier of the exported functions,
// the d3_abi_* queries, the test hook that throws inside a computation (declared in
// d3_abi.h) and, for the CPU library, the stub of d3_cuda_compute_on_device. Included by exactly one translation unit per library (d3_cpu.cpp, d3_cuda.cu).
#ifndef ASE_ELECTROLYTE_D3_ABI_EXPORTS_H
#define ASE_ELECTROLYTE_D3_ABI_EXPORTS_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#include "cell_list.h"
#include "d3_abi.h"
#include "d3_math.h"  // d3_pair_damping evaluates the kernels' damping

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

// Periodic images a cutoff may span in a 3D cell, and fractional coordinates (in cell
// heights) a position may have: beyond them the kernels' int image and sub-cell indices
// would overflow (a cell of 1e-12 bohr gave an energy of 0, a zero cell never returned).
// The Python side refuses far less (d3/calculator.py: 1e7 images); these guard the ABI.
constexpr double MAX_CELL_IMAGES = 1e9;
constexpr double MAX_CELL_WIDTHS = 536870912.0;  // 2^29

inline void invalid(const char* fmt, double a = 0.0, double b = 0.0, double c = 0.0) {
    char msg[320];
    snprintf(msg, sizeof msg, fmt, a, b, c);
    throw invalid_argument(msg);
}

inline bool finite_all(const double* p, size_t count) {
    for (size_t k = 0; k < count; ++k)
        if (!std::isfinite(p[k])) return false;
    return true;
}

// Everything the kernels assume of a D3System, checked before any work: counts, pointers,
// ids and species indices in range, finite parameters, cutoffs and tables, a
// lower-triangular cell with a volume whose images within the cutoffs are countable, a
// translation list holding the zero translation, and, when they are in host memory
// (`xyz_on_host`), finite positions within MAX_CELL_WIDTHS cell heights of the origin.
// Throws invalid_argument (D3_INVALID) naming the first fault; O(N + species^2).
inline void check_system(const D3System& s, bool xyz_on_host) {
    const int n = s.natoms, ns = s.nspecies;
    if (n < 0 || ns < 0 || (s.cell_mode == 0 && s.ntrans < 0))
        throw invalid_argument("negative atom, species or image count");
    // the kernels index 3 N coordinates, 7 N weights and 3 T translation components in int
    if (n > 2147483647 / (2 * D3_MAX_REF) || (s.cell_mode == 0 && s.ntrans > 2147483647 / 3))
        invalid("%.0f atoms and %.0f translations: beyond what the kernels index in int "
                "(%.0f atoms)", n, s.cell_mode == 0 ? s.ntrans : 1, 2147483647 / (2 * D3_MAX_REF));
    if (s.cell_mode != 0 && s.cell_mode != 1)
        invalid("cell_mode must be 0 (translation list) or 1 (3D cell), not %.0f", s.cell_mode);
    if (s.damping < 0 || s.damping >= D3_NUM_DAMPINGS)
        invalid("unknown damping id %.0f (0 .. %.0f)", s.damping, D3_NUM_DAMPINGS - 1);
    if (n > 0 && ns == 0) throw invalid_argument("atoms but no species");
    if ((n && (!s.species || !s.xyz)) || (s.cell_mode == 0 && s.ntrans && !s.trans) ||
        (ns && (!s.nref || !s.cnref || !s.rcov || !s.r4r2 || !s.r0ab || !s.c6ref)))
        throw invalid_argument("NULL array in the D3System");
    for (int i = 0; i < n; ++i)
        if (s.species[i] < 0 || s.species[i] >= ns)
            invalid("atom %.0f has species index %.0f, outside 0 .. nspecies-1 = %.0f", i,
                    s.species[i], ns - 1);
    for (int z = 0; z < ns; ++z)
        if (s.nref[z] < 1 || s.nref[z] > D3_MAX_REF)
            invalid("species %.0f has %.0f reference systems (1 .. %.0f)", z, s.nref[z],
                    D3_MAX_REF);
    const size_t nss = (size_t)ns * ns;
    if (!finite_all(s.cnref, (size_t)ns * D3_MAX_REF) || !finite_all(s.rcov, ns) ||
        !finite_all(s.r4r2, ns) || !finite_all(s.r0ab, nss) ||
        !finite_all(s.c6ref, nss * D3_MAX_REF * D3_MAX_REF))
        throw invalid_argument("non-finite value in the species tables");
    const double params[11] = {s.s6, s.s8, s.s9, s.a1, s.a2, s.a3, s.a4, s.rs6, s.rs8, s.alp,
                               s.bet};
    static const char* names[11] = {"s6", "s8", "s9", "a1", "a2", "a3", "a4", "rs6", "rs8",
                                    "alp", "bet"};
    for (int k = 0; k < 11; ++k)
        if (!std::isfinite(params[k]))
            throw invalid_argument(std::string("damping parameter ") + names[k] +
                                   " is not finite");
    const double cutoffs[3] = {s.cutoff, s.cn_cutoff, s.atm_cutoff};
    static const char* cut_names[3] = {"cutoff", "cn_cutoff", "atm_cutoff"};
    // +inf is no cutoff: every pair of a translation list (a molecule given a cutoff of
    // 1e308 Å, which is inf in bohr); a 3D cell refuses it below as infinitely many images
    for (int k = 0; k < 3; ++k)
        if (!(cutoffs[k] > 0.0))
            invalid((std::string(cut_names[k]) + " must be a number > 0 bohr, not %g").c_str(),
                    cutoffs[k]);
    if (!(std::isfinite(s.width) && s.width >= 0.0))
        invalid("the smooth-cutoff width must be a finite number >= 0 bohr, not %g", s.width);
    if (s.tail && !finite_all(s.tail, nss))
        throw invalid_argument("the tail coefficients must be finite");
    if (s.width >= s.cutoff)
        invalid("the smooth-cutoff width (%g bohr) must be smaller than the cutoff (%g bohr)",
                s.width, s.cutoff);
    double height[3] = {1.0, 1.0, 1.0};
    if (s.cell_mode == 1) {
        if (!finite_all(s.lat, 9)) throw invalid_argument("non-finite cell");
        if (s.lat[1] != 0.0 || s.lat[2] != 0.0 || s.lat[5] != 0.0)
            throw invalid_argument("the cell must be lower triangular: a = (ax, 0, 0), "
                                   "b = (bx, by, 0), c = (cx, cy, cz)");
        if (!(s.lat[0] > 0.0 && s.lat[4] > 0.0 && s.lat[8] > 0.0))
            invalid("the cell needs ax, by, cz > 0 (a right-handed cell with a volume), not "
                    "%g, %g, %g bohr", s.lat[0], s.lat[4], s.lat[8]);
        cell_list::cell_heights(s.lat, height);
        const double volume = s.lat[0] * s.lat[4] * s.lat[8];
        const double rmax = std::max({s.cutoff, s.cn_cutoff, s.atm ? s.atm_cutoff : 0.0});
        // the lattice translations whose images of a pair can lie within rmax: at most
        // 2 rmax / h_k + 1 along each plane family (h_k its spacing), as the cell list's
        // stencil and d3_for_each_image enumerate them. The sphere of rmax plus the cell's
        // diameter counted ~(4/3)π L² / h² for a needle L long and h wide, and refused an
        // 8 x 9 x 50000 Å cell at a 30 Å cutoff (1.2e9) whose pairs have 121 images at most
        double images = 1.0;
        for (int k = 0; k < 3; ++k) images *= 2.0 * rmax / height[k] + 1.0;
        if (!(images <= MAX_CELL_IMAGES) || !(rmax / height[0] <= MAX_CELL_WIDTHS) ||
            !(rmax / height[1] <= MAX_CELL_WIDTHS) || !(rmax / height[2] <= MAX_CELL_WIDTHS))
            invalid("the cutoff (%g bohr) spans ~%.3g periodic images of a cell of volume "
                    "%g bohr^3 (at most 1e9)", rmax, images, volume);
    } else if (n > 0) {
        if (s.ntrans < 1 || !s.trans)
            throw invalid_argument("an empty translation list (it must hold the zero "
                                   "translation)");
        if (!finite_all(s.trans, 3 * (size_t)s.ntrans))
            throw invalid_argument("non-finite lattice translation");
        bool zero = false;
        for (int t = 0; t < s.ntrans && !zero; ++t)
            zero = s.trans[3 * t] == 0.0 && s.trans[3 * t + 1] == 0.0 && s.trans[3 * t + 2] == 0.0;
        if (!zero) throw invalid_argument("the translation list lacks the zero translation");
    }
    if (!xyz_on_host) return;
    const double hmin = std::min({height[0], height[1], height[2]});
    for (int i = 0; i < n; ++i)
        for (int c = 0; c < 3; ++c) {
            const double x = s.xyz[3 * i + c];
            if (!std::isfinite(x))
                invalid("atom %.0f has a non-finite position", i);
            if (s.cell_mode == 1 && !(std::fabs(x) * 1.7320508075688772 / hmin <=
                                      MAX_CELL_WIDTHS))
                invalid("atom %.0f is %g bohr from the origin, more than 2^29 cell heights "
                        "(%g bohr)", i, std::fabs(x), hmin);
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
        if (!version) throw d3abi::invalid_argument("NULL output pointer");
        *version = D3_ABI_VERSION;
        return (int)D3_OK;
    });
}

int d3_abi_struct_size(long long* size, char* err, int errlen) {
    return d3abi::guard("d3_abi_struct_size", err, errlen, [&] {
        if (!size) throw d3abi::invalid_argument("NULL output pointer");
        *size = (long long)sizeof(D3System);
        return (int)D3_OK;
    });
}

int d3_abi_field_offset(const char* field, long long* offset, char* err, int errlen) {
    return d3abi::guard("d3_abi_field_offset", err, errlen, [&] {
        if (!field || !offset) throw d3abi::invalid_argument("NULL field name or output pointer");
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
        D3_FIELD(atm_cutoff) D3_FIELD(width) D3_FIELD(atm) D3_FIELD(tail)
#undef D3_FIELD
        throw d3abi::invalid_argument(std::string("D3System has no field '") + field + "'");
    });
}

int d3_abi_damping_id(const char* name, int* id, char* err, int errlen) {
    return d3abi::guard("d3_abi_damping_id", err, errlen, [&] {
        if (!name || !id) throw d3abi::invalid_argument("NULL damping name or output pointer");
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

int d3_pair_damping(const D3System* sys, int n, const int* zi, const int* zj, const double* r,
                    double* e, double* e_switched, char* err, int errlen) {
    return d3abi::guard("d3_pair_damping", err, errlen, [&] {
        if (!sys || n < 0 || (n > 0 && (!zi || !zj || !r || !e)))
            throw d3abi::invalid_argument("NULL system, input or output pointer");
        D3System s = *sys;
        s.natoms = 0;  // only the tables, damping and cutoffs are read
        d3abi::check_system(s, false);
        const bool smooth = d3_smooth_cutoff(s);
        for (int k = 0; k < n; ++k) {
            if (zi[k] < 0 || zi[k] >= s.nspecies || zj[k] < 0 || zj[k] >= s.nspecies)
                d3abi::invalid("species pair (%.0f, %.0f) outside 0 .. nspecies-1 = %.0f",
                               zi[k], zj[k], s.nspecies - 1);
            if (!(r[k] > 0.0) || !std::isfinite(r[k]))
                d3abi::invalid("pair distance %g bohr: it must be finite and > 0", r[k]);
            const D3PairConst c = d3_pair_const(s, zi[k], zj[k]);
            double g;
            d3_damped(s, c, r[k] * r[k], &e[k], &g);
            if (e_switched) d3_damped_switched(s, c, r[k] * r[k], smooth, &e_switched[k], &g);
        }
        return (int)D3_OK;
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
