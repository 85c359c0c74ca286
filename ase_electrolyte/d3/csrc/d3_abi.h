// The C interface of the DFT-D3 kernels: the ONE definition of everything that Python (ctypes,
// ase_electrolyte/d3/backend.py) and the compiled kernels (d3_cpu.cpp, d3_cuda.cu) share.
//
//   - struct D3System, the description of one evaluation handed to every compute entry point;
//   - enum D3Damping, the kernel ids of the damping functions;
//   - enum D3Status, what every exported function returns;
//   - the D3_*_ON_DEVICE flags of d3_cuda_compute_on_device;
//   - D3_ABI_VERSION, raised whenever any of the above changes.
//
// Python never assumes the layout: on loading a library it reads D3_ABI_VERSION,
// sizeof(D3System), the offset of every field and the id of every damping through the
// d3_abi_* functions below, compares them with its ctypes mirror, and refuses a library
// that differs (a stale cached build, a header edited without the mirror).
//
// Error convention (after vesin): every exported function returns a D3Status; on failure it
// writes a NUL-terminated message into the caller's buffer `err` of `errlen` bytes (which
// may be NULL/0) and returns non-zero. No exported function lets a C++ exception escape
// (they catch std::exception and everything else), and no error state is global.
#ifndef ASE_ELECTROLYTE_D3_ABI_H
#define ASE_ELECTROLYTE_D3_ABI_H

#define D3_ABI_VERSION 5

// Largest number of reference systems of an element (C6 tables are 7 x 7 per species pair).
#define D3_MAX_REF 7

// Damping functions. Python names them in ase_electrolyte/d3/parameters.py (KERNEL_DAMPINGS)
// and checks these values against d3_abi_damping_id at load.
enum D3Damping {
    D3_RATIONAL = 0,        // bj, bjm (Becke-Johnson rational damping)
    D3_ZERO = 1,            // zero (Chai-Head-Gordon)
    D3_MZERO = 2,           // zerom (modified zero damping)
    D3_OPTIMIZEDPOWER = 3,  // op (optimised power)
    D3_CSO = 4,             // cso (C6-scaled only)
};
#define D3_NUM_DAMPINGS 5

// Return value of every exported function.
enum D3Status {
    D3_OK = 0,
    D3_ERROR = 1,          // a C++ exception (message in err)
    D3_OUT_OF_MEMORY = 2,  // std::bad_alloc (host memory) or cudaErrorMemoryAllocation
    D3_INVALID = 3,        // the arguments are inconsistent (negative counts, unknown name, ...)
    D3_NO_CUDA = 4,        // a CUDA entry point of a library built without CUDA
    D3_CUDA_ERROR = 5,     // the CUDA runtime reported an error
};

// Everything a kernel needs for one evaluation, as plain pointers so that ctypes can fill it
// and the CUDA driver can copy what they point to. Atomic units: bohr, hartree.
// Species-resolved tables are indexed by the compact species index of each atom.
struct D3System {
    int natoms;
    int nspecies;
    const int* species;      // [natoms]
    const double* xyz;       // [natoms*3], bohr (rotated frame when cell_mode == 1)
    // periodic images: cell_mode 0 = explicit translation list, 1 = lower-triangular cell
    int cell_mode;
    int ntrans;
    const double* trans;     // [ntrans*3], bohr (cell_mode 0)
    double lat[9];           // rows a=(ax,0,0), b=(bx,by,0), c=(cx,cy,cz), bohr (cell_mode 1)
    // species tables
    const int* nref;         // [nspecies]
    const double* cnref;     // [nspecies*7]
    const double* rcov;      // [nspecies], bohr, already scaled by 4/3
    const double* r4r2;      // [nspecies], sqrt(0.5 * <r4>/<r2> * sqrt(Z))
    const double* r0ab;      // [nspecies*nspecies], bohr
    const double* c6ref;     // [nspecies*nspecies*7*7]
    // damping (enum D3Damping) and its parameters
    int damping;
    double s6, s8, s9, a1, a2, a3, a4, rs6, rs8, alp, bet;
    // cutoffs (bohr) and smooth-cutoff width for the two-body term (0: hard cutoff)
    double cutoff, cn_cutoff, atm_cutoff, width;
    int atm;                 // 1: add the Axilrod-Teller-Muto three-body term
    // The homogeneous-liquid tail of the two-body term beyond the cutoff and of what the
    // smooth switch takes away inside it (D3 option tail_correction): E_tail = sum_i sum_j
    // tail[z_i * nspecies + z_j] C6_ij, j over all atoms (i included), in hartree per
    // hartree*bohr^6. Each species pair has its own coefficient, the integral of its damped
    // pair term (d3_pair_damping) beyond where the kernel's sum stops: the damping differs
    // per pair (1 - f is 0.3 % for C-C but 25 % for Cs-Cs across a 6-8 A switch). The caller
    // adds that energy and its explicit volume dependence; the kernels add its dependence on
    // the coordination numbers, dE_tail/dCN_i, to the chain rule, so that forces and virial
    // are its exact derivatives. NULL: no tail.
    const double* tail;      // [nspecies*nspecies] or NULL
};

#ifdef __cplusplus
extern "C" {
#endif

// ---- exported by every D3 library (CPU, CUDA and the CUDA host emulation) ----------------

// D3_ABI_VERSION of the library into *version.
int d3_abi_version(int* version, char* err, int errlen);
// sizeof(struct D3System) into *size.
int d3_abi_struct_size(long long* size, char* err, int errlen);
// offsetof(struct D3System, <field>) into *offset; D3_INVALID for an unknown field name.
int d3_abi_field_offset(const char* field, long long* offset, char* err, int errlen);
// The D3Damping id of a damping named as in the enum without the prefix, lower case
// ("rational", "zero", "mzero", "optimizedpower", "cso"); D3_INVALID for another name.
int d3_abi_damping_id(const char* name, int* id, char* err, int errlen);
// The damped two-body term of n pairs without C6 and its smooth-switched value, as the
// kernels sum them: a pair of species zi[k], zj[k] at r[k] bohr adds -C6 * e[k] without
// the switch and -C6 * e_switched[k] with it (d3_damped, d3_damped_switched of d3_math.h;
// the same as e[k] for a hard cutoff). Uses the species tables, damping and cutoffs of sys
// (no atoms needed). The tail correction integrates it. e_switched may be NULL.
int d3_pair_damping(const struct D3System* sys, int n, const int* zi, const int* zj,
                    const double* r, double* e, double* e_switched, char* err, int errlen);
// Test hook: the next compute call throws, from inside its computation, std::bad_alloc
// (kind 1), std::runtime_error (2) or a non-standard exception (3); 0 disarms. Lets the
// tests check that a C++ exception thrown in a kernel reaches Python as an exception.
int d3_debug_throw_next(int kind, char* err, int errlen);

// ---- CPU library ---------------------------------------------------------------------------
// Energy per atom [natoms] (hartree), gradient dE/dx [natoms*3] (hartree/bohr), virial
// sigma = sum_ij dE/dr_ij (x) r_ij [9] (hartree) and, when cn_out is not NULL, coordination
// numbers [natoms]. nthreads <= 0: one thread per hardware thread.
int d3_cpu_compute(const struct D3System* sys, int nthreads, double* energy, double* grad,
                   double* sigma, double* cn_out, char* err, int errlen);

// ---- CUDA library (nvcc) and its host emulation (g++ -DD3_CUDA_HOST) ----------------------
// The CPU library exports the same names; they return D3_NO_CUDA ("built without CUDA").
// Same outputs as d3_cpu_compute (host pointers), on device `device`, queued on `stream`
// (a cudaStream_t; NULL: the default stream) and synchronised before returning.
int d3_cuda_compute(const struct D3System* sys, int device, void* stream, double* energy,
                    double* grad, double* sigma, double* cn_out, char* err, int errlen);
// Where the arrays of d3_cuda_compute_on_device live (bit flags; 0 is d3_cuda_compute).
#define D3_XYZ_ON_DEVICE 1  // sys->xyz points to device memory of `device`
#define D3_OUT_ON_DEVICE 2  // energy, grad, sigma and cn_out point to device memory
// d3_cuda_compute with the positions and/or the outputs on the device: nothing is copied
// between host and device but the per-system block (species tables, sys->species and
// sys->trans, which stay host pointers, and the bin stencils), and that only when it differs
// from the last call's. With D3_OUT_ON_DEVICE the call returns once the work is queued on
// `stream` (no synchronisation); a later call on another stream waits for it. The positions
// are read as they are (device memory cannot be checked from here): non-finite ones give
// non-finite results, never an access outside the buffers.
int d3_cuda_compute_on_device(const struct D3System* sys, int device, void* stream, int flags,
                              double* energy, double* grad, double* sigma, double* cn_out,
                              char* err, int errlen);
// Number of CUDA devices into *count (0 without a driver).
int d3_cuda_device_count(int* count, char* err, int errlen);
// Frees the persistent device buffers of every device.
int d3_cuda_release(char* err, int errlen);
// Pair images each GPU pass of a 3D-periodic system would visit (out[0] CN, out[1]
// dispersion), from the kernels' bins and stencils; no kernel runs.
int d3_cuda_visit_model(const struct D3System* sys, long long* out, char* err, int errlen);

// ---- CUDA host emulation only ------------------------------------------------------------
// Pair images the binned passes examined since the last call, into *visits.
int d3_cuda_host_visits(long long* visits, char* err, int errlen);
// Order of the emulated grid's blocks and threads: 0 forward, 1 reverse, 2 shuffled (seed).
int d3_cuda_host_set_order(int order, unsigned seed, char* err, int errlen);
// The bins of pass `pass` (0: CN, 1: dispersion) built by the last 3D-periodic compute call:
// dims[3] bins along a, b, c and *natoms; then, into those caller arrays that are not NULL,
// start [nbins+1] (atoms of bin k at sorted places start[k] .. start[k+1]-1), perm [natoms]
// (sorted place -> atom), home [natoms*3] (sorted place -> bin a, b, c) and xyz [natoms*3]
// (sorted, wrapped positions, bohr).
int d3_cuda_host_last_bins(int pass, int* dims, int* natoms, int* start, int* perm, int* home,
                           double* xyz, char* err, int errlen);

#ifdef __cplusplus
}
#endif

#endif  // ASE_ELECTROLYTE_D3_ABI_H
