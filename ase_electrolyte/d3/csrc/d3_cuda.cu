// CUDA kernel of DFT-D3, same math as the CPU kernel (d3_math.h), called through ctypes.
//
// On the GPU every atom i gets one thread block whose threads stride over all partners j
// (full neighbour sums: twice the pair work of the CPU's j <= i loop, but no atomics on
// per-atom arrays). Per-atom results are block-reduced; only the 3x3 virial and the ATM
// term use atomicAdd (double atomics need sm_60 or newer). Memory stays O(N).
//
// Every kernel is written as a plain per-block body: `partial(block, thread, nthreads, p)`
// gives one thread's partial sums, a reduction routine sums them over the block, and
// `finish(block, sums)` (thread 0) writes them; one-thread-per-atom kernels are a plain
// `operator()(index)`. The CUDA launches below call these bodies, and so does the host
// build (g++ -DD3_CUDA_HOST, see d3_cuda_compat.h), which runs the grid in forward,
// reverse or shuffled block and thread order with the same tree reduction, so that the
// tests exercise this file without a GPU.
//
// Device buffers live in one arena per device that only grows, and the per-system block
// (species tables, species, translations, bin stencils) is uploaded only when it changes: a
// call makes no cudaMalloc/cudaFree (each cudaFree would synchronise the device) once the
// arena is large enough. Everything runs on the caller's stream (torch's current stream when
// called from ase_electrolyte). The positions may already be on the device
// (d3_cuda_compute_on_device): 3D-periodic cells are binned there, so no entry point needs
// them on the host.
#include "d3_cuda_compat.h"

#include <stdio.h>
#include <string.h>

#include <exception>
#include <mutex>
#include <new>
#include <vector>

#define D3_CUDA_LIBRARY  // d3_abi_exports.h: this library defines the CUDA entry points
#include "d3_abi_exports.h"
#include "d3_math.h"
#include "cell_list.h"

#include <algorithm>
#include <cmath>

#if !defined(__CUDACC__)
#include <numeric>
#include <random>
#endif

#define D3_BLOCK 128
#define D3_SCAN_THREADS 512
#define D3_MAX_DEVICES 64

namespace {

#if !defined(__CUDACC__)
// pair images examined by the binned passes (host emulation only; see d3_cuda_visit_model)
long long g_visits = 0;
#endif

struct AtomicAdd {
    D3_DEV void operator()(double* p, double v) const { atomicAdd(p, v); }
};

// ---------------------------------------------------------------------------------------
// Per-block bodies.

// Coordination numbers: block i sums the counts of all atoms j.
struct CnBlock {
    static const int NP = 1;
    D3System s;
    double* cn;
    D3_DEV void partial(int i, int t, int nt, double* p) const {
        double acc = 0.0;
        for (int j = t; j < s.natoms; j += nt) acc += d3_cn_images(s, i, j);
        p[0] = acc;
    }
    D3_DEV void finish(int i, const double* r) const { cn[i] = r[0]; }
};

// Reference weights of atom i (one thread per atom).
struct WeightsThread {
    D3System s;
    const double* cn;
    double* gw;
    double* dgw;
    D3_DEV void operator()(int i) const {
        const int z = s.species[i];
        d3_weights(s.nref[z], s.cnref + D3_MAX_REF * z, cn[i], gw + D3_MAX_REF * i,
                   dgw + D3_MAX_REF * i);
    }
};

// Two-body energy, gradient, virial and dE/dCN of atom i over all partners j (ordered pairs:
// half of each pair's energy and virial from each side).
struct PairBlock {
    static const int NP = 11;  // e, dE/dCN, g[3], virial[6]
    D3System s;
    const double* gw;
    const double* dgw;
    double* energy;
    double* dEdcn;
    double* grad;
    double* sigma;
    D3_DEV void partial(int i, int t, int nt, double* p) const {
        const int ns = s.nspecies;
        const int zi = s.species[i];
        for (int c = 0; c < NP; ++c) p[c] = 0.0;
        for (int j = t; j < s.natoms; j += nt) {
            const int zj = s.species[j];
            const D3ImageSums im = d3_dispersion_images(s, d3_pair_const(s, zi, zj), i, j);
            if (im.empty()) continue;
            double c6, dc6i, dc6j;
            d3_pair_c6(s.c6ref + (zi * ns + zj) * D3_MAX_REF * D3_MAX_REF, s.nref[zi],
                       s.nref[zj], gw + D3_MAX_REF * i, dgw + D3_MAX_REF * i,
                       gw + D3_MAX_REF * j, dgw + D3_MAX_REF * j, &c6, &dc6i, &dc6j);
            const double w = -0.5 * c6;
            p[0] += w * im.e;
            p[1] -= dc6i * im.e;
            if (j != i)
                for (int c = 0; c < 3; ++c) p[2 + c] -= c6 * im.g[c];
            for (int c = 0; c < 6; ++c) p[5 + c] += w * im.sym[c];
        }
    }
    D3_DEV void finish(int i, const double* r) const {
        energy[i] += r[0];
        dEdcn[i] += r[1];
        for (int c = 0; c < 3; ++c) grad[3 * i + c] += r[2 + c];
        d3_add_sym(sigma, 1.0, r + 5, AtomicAdd());
    }
};

// Three-body term of the triples whose largest index is i: block i, its threads stride over
// the second atom j. Each thread keeps the terms of atom i and the virial in registers
// (d3_atm_row's `own`), the block reduces them once; only the terms of j and k are atomics
// (other blocks add to atom i too, hence atomics in finish).
struct AtmBlock {
    static const int NP = 14;  // e_i, dE/dCN_i, g_i[3], virial[9]
    D3System s;
    const double* gw;
    const double* dgw;
    double* energy;
    double* dEdcn;
    double* grad;
    double* sigma;
    D3_DEV void partial(int i, int t, int nt, double* p) const {
        D3AtmOwn own = {};
        d3_atm_row(s, i, t, nt, gw, dgw, energy, dEdcn, grad, own, AtomicAdd());
        p[0] = own.energy;
        p[1] = own.dEdcn;
        for (int c = 0; c < 3; ++c) p[2 + c] = own.grad[c];
        for (int c = 0; c < 9; ++c) p[5 + c] = own.sigma[c];
    }
    D3_DEV void finish(int i, const double* r) const {
        atomicAdd(energy + i, r[0]);
        atomicAdd(dEdcn + i, r[1]);
        for (int c = 0; c < 3; ++c) atomicAdd(grad + 3 * i + c, r[2 + c]);
        for (int c = 0; c < 9; ++c) atomicAdd(sigma + c, r[5 + c]);
    }
};

// Weight sums of the homogeneous tail (d3_math.h): block z sums gw over the atoms of
// species z.
struct TailSumsBlock {
    static const int NP = D3_MAX_REF;
    D3System s;
    const double* gw;
    double* wsum;
    D3_DEV void partial(int z, int t, int nt, double* p) const {
        d3_tail_weight_sums(s, gw, z, t, nt, p);
    }
    D3_DEV void finish(int z, const double* r) const {
        for (int b = 0; b < NP; ++b) wsum[D3_MAX_REF * z + b] = r[b];
    }
};

// The tail's share of dE/dCN_i (one thread per atom, after the pair and ATM passes).
struct TailThread {
    D3System s;
    const double* wsum;
    const double* dgw;
    double* dEdcn;
    D3_DEV void operator()(int i) const {
        dEdcn[i] += d3_tail_dcn(s, wsum, i, dgw + D3_MAX_REF * i);
    }
};

// CN chain rule dE/dCN * dCN/dr of atom i over all partners j.
struct ChainBlock {
    static const int NP = 9;  // g[3], virial[6]
    D3System s;
    const double* dEdcn;
    double* grad;
    double* sigma;
    D3_DEV void partial(int i, int t, int nt, double* p) const {
        for (int c = 0; c < NP; ++c) p[c] = 0.0;
        for (int j = t; j < s.natoms; j += nt) {
            // ordered pairs: half of the pair's virial from each side; the self images of i
            // are seen only from i and count in full
            const double de = (j == i) ? dEdcn[i] : dEdcn[i] + dEdcn[j];
            const double wv = (j == i) ? de : 0.5 * de;
            const D3ImageSums im = d3_cn_chain_images(s, i, j);
            if (j != i)
                for (int c = 0; c < 3; ++c) p[c] += de * im.g[c];
            for (int c = 0; c < 6; ++c) p[3 + c] += wv * im.sym[c];
        }
    }
    D3_DEV void finish(int i, const double* r) const {
        for (int c = 0; c < 3; ++c) grad[3 * i + c] += r[c];
        d3_add_sym(sigma, 1.0, r + 3, AtomicAdd());
    }
};

// ---------------------------------------------------------------------------------------
// Fully periodic cells (cell_mode 1) go through bins instead of all N^2 pairs: the atoms,
// wrapped into the cell, are sorted into bins of about a tenth of the pass's cutoff (on the
// device, see BinAtomsThread), and a
// stencil of bin offsets covers everything within the cutoff (offset vector within
// cutoff + the bins' diagonal). Block p handles the p-th atom in bin order; its threads take
// the stencil entries in turn and visit every atom of each neighbour bin once, at the one
// lattice translation that the (wrapped) offset implies. Each pass visits O(N rho rc^3)
// pair images, at most ~(1 + sqrt(3)/10)^3 = 1.6 times the pairs within the cutoff for
// bins of rc/10 in a cubic cell (see d3_cuda_visit_model).
struct DevBins {
    int n[3];
    int nstencil;
    const int* start;    // [nbins+1]: atoms of bin k are sorted[start[k], start[k+1])
    const int* perm;     // sorted position -> atom index
    const int* home;     // sorted position -> bin (a, b, c) as 3 ints
    const double* xyz;   // sorted, wrapped positions
    const int* stencil;  // [3*nstencil]
};

D3_HD int floor_div(int a, int n) { return (a >= 0) ? a / n : -((-a + n - 1) / n); }

// Calls f(j_sorted, vx, vy, vz, r2) for the images of the stencil entries q = t, t+nt, ...
// seen from sorted atom p within sqrt(rc2) (and beyond self_eps).
template <class F>
D3_HD void d3_bin_images(const D3System& s, const DevBins& b, int p, int t, int nt, double rc2,
                         double self_eps, F&& f) {
    const int* h = b.home + 3 * p;
    const double xi = b.xyz[3 * p], yi = b.xyz[3 * p + 1], zi = b.xyz[3 * p + 2];
    for (int q = t; q < b.nstencil; q += nt) {
        int ja = h[0] + b.stencil[3 * q], jb = h[1] + b.stencil[3 * q + 1];
        int jc = h[2] + b.stencil[3 * q + 2];
        const int ka = floor_div(ja, b.n[0]), kb = floor_div(jb, b.n[1]);
        const int kc = floor_div(jc, b.n[2]);
        ja -= ka * b.n[0];
        jb -= kb * b.n[1];
        jc -= kc * b.n[2];
        const int bin = (ja * b.n[1] + jb) * b.n[2] + jc;
        // x_i - (x_j + T), T = ka a + kb b + kc c
        const double dx = xi - (ka * s.lat[0] + kb * s.lat[3] + kc * s.lat[6]);
        const double dy = yi - (kb * s.lat[4] + kc * s.lat[7]);
        const double dz = zi - kc * s.lat[8];
        for (int j = b.start[bin]; j < b.start[bin + 1]; ++j) {
            const double vx = dx - b.xyz[3 * j], vy = dy - b.xyz[3 * j + 1];
            const double vz = dz - b.xyz[3 * j + 2];
            const double r2 = vx * vx + vy * vy + vz * vz;
#if !defined(__CUDACC__)
            ++g_visits;
#endif
            if (r2 > rc2 || r2 < self_eps) continue;
            f(j, vx, vy, vz, r2);
        }
    }
}

struct CnBinBlock {
    static const int NP = 1;
    D3System s;
    DevBins b;
    double* cn;
    D3_DEV void partial(int p, int t, int nt, double* out) const {
        const int i = b.perm[p];
        const double rci = s.rcov[s.species[i]];
        double acc = 0.0;
        d3_bin_images(s, b, p, t, nt, s.cn_cutoff * s.cn_cutoff, 0.0,
                      [&](int q, double, double, double, double r2) {
            if (!(r2 < D3_CN_SELF_EPS))
                acc += d3_count(rci + s.rcov[s.species[b.perm[q]]], r2);
            else if (q != p)
                acc = NAN;  // coincident distinct atoms (d3_cn_images)
        });
        out[0] = acc;
    }
    D3_DEV void finish(int p, const double* r) const { cn[b.perm[p]] = r[0]; }
};

template <int DAMP>
struct PairBinBlock {
    static const int NP = 11;
    D3System s;
    DevBins b;
    const double* gw;
    const double* dgw;
    double* energy;
    double* dEdcn;
    double* grad;
    double* sigma;
    D3_DEV void partial(int p, int t, int nt, double* out) const {
        const int ns = s.nspecies;
        const int i = b.perm[p];
        const int zi = s.species[i];
        const bool smooth = d3_smooth_cutoff(s);
        for (int c = 0; c < NP; ++c) out[c] = 0.0;
        d3_bin_images(s, b, p, t, nt, s.cutoff * s.cutoff, D3_EPS,
                      [&](int q, double vx, double vy, double vz, double r2) {
            const int j = b.perm[q];
            const int zj = s.species[j];
            double e, g, c6, dc6i, dc6j;
            d3_damped_switched<DAMP>(s, d3_pair_const<DAMP>(s, zi, zj), r2, smooth, &e, &g);
            d3_pair_c6(s.c6ref + (zi * ns + zj) * D3_MAX_REF * D3_MAX_REF, s.nref[zi],
                       s.nref[zj], gw + D3_MAX_REF * i, dgw + D3_MAX_REF * i,
                       gw + D3_MAX_REF * j, dgw + D3_MAX_REF * j, &c6, &dc6i, &dc6j);
            const double w = -0.5 * c6;
            out[0] += w * e;
            out[1] -= dc6i * e;
            if (j != i) {
                out[2] -= c6 * g * vx;
                out[3] -= c6 * g * vy;
                out[4] -= c6 * g * vz;
            }
            const double wg = w * g;
            out[5] += wg * vx * vx; out[6] += wg * vy * vy; out[7] += wg * vz * vz;
            out[8] += wg * vy * vz; out[9] += wg * vx * vz; out[10] += wg * vx * vy;
        });
    }
    D3_DEV void finish(int p, const double* r) const {
        const int i = b.perm[p];
        energy[i] += r[0];
        dEdcn[i] += r[1];
        for (int c = 0; c < 3; ++c) grad[3 * i + c] += r[2 + c];
        d3_add_sym(sigma, 1.0, r + 5, AtomicAdd());
    }
};

struct ChainBinBlock {
    static const int NP = 9;
    D3System s;
    DevBins b;
    const double* dEdcn;
    double* grad;
    double* sigma;
    D3_DEV void partial(int p, int t, int nt, double* out) const {
        const int i = b.perm[p];
        const double rci = s.rcov[s.species[i]];
        for (int c = 0; c < NP; ++c) out[c] = 0.0;
        d3_bin_images(s, b, p, t, nt, s.cn_cutoff * s.cn_cutoff, D3_CN_SELF_EPS,
                      [&](int q, double vx, double vy, double vz, double r2) {
            const int j = b.perm[q];
            // as ChainBlock: the self images of i count in full, other pairs half per side
            const double de = (j == i) ? dEdcn[i] : dEdcn[i] + dEdcn[j];
            const double wv = (j == i) ? de : 0.5 * de;
            const double g = d3_dcount_over_r(rci + s.rcov[s.species[j]], r2);
            if (j != i) {
                out[0] += de * g * vx;
                out[1] += de * g * vy;
                out[2] += de * g * vz;
            }
            const double wg = wv * g;
            out[3] += wg * vx * vx; out[4] += wg * vy * vy; out[5] += wg * vz * vz;
            out[6] += wg * vy * vz; out[7] += wg * vx * vz; out[8] += wg * vx * vy;
        });
    }
    D3_DEV void finish(int p, const double* r) const {
        const int i = b.perm[p];
        for (int c = 0; c < 3; ++c) grad[3 * i + c] += r[c];
        d3_add_sym(sigma, 1.0, r + 3, AtomicAdd());
    }
};

// The grid of one pass: bin counts along a, b, c and the stencil of bin offsets. They depend
// only on the cell, the cutoff and the atom count, so they are built on the host (and cached
// on the device with the species tables); the atoms are sorted into the bins on the device
// (BinAtomsThread, ScanBins, ScatterThread below), from positions that may already live there.
struct BinGrid {
    int n[3] = {1, 1, 1};
    std::vector<int> stencil;

    int nbins() const { return n[0] * n[1] * n[2]; }

    void build(const D3System& s, double cutoff) {
        const int natoms = s.natoms;
        double height[3];
        cell_list::cell_heights(s.lat, height);
        // bins of a tenth of the cutoff, but never many more bins than atoms (memory O(N))
        double width = cutoff / 10.0;
        for (;;) {
            for (int k = 0; k < 3; ++k)
                n[k] = (int)std::max(1.0, std::min(1024.0, floor(height[k] / width)));
            if ((double)n[0] * n[1] * n[2] <= 8.0 * natoms + 64.0) break;
            width *= 1.1;
        }
        // the CPU cell list's stencil: offsets whose bins can hold two points within the cutoff
        cell_list::stencil_offsets(s.lat, n, cutoff, stencil);
    }
};

// Bin of one atom: its position x (lower-triangular cell `lat`, bohr) wrapped into the cell
// by whole lattice vectors, and its bin (a, b, c) on an n[0] x n[1] x n[2] grid; returns the
// flat bin index. A non-finite coordinate lands in bin 0 (never outside the grid: the
// positions are not checked here; the caller's results are).
D3_HD int d3_bin_atom(const double* lat, const int* n, const double* x, int* idx,
                      double* wrapped) {
    const double ax = lat[0], bx = lat[3], by = lat[4];
    const double cx = lat[6], cy = lat[7], cz = lat[8];
    const double px = x[0], py = x[1], pz = x[2];
    const double fc = pz / cz;
    const double fb = (py - fc * cy) / by;
    const double fa = (px - fc * cx - fb * bx) / ax;
    const double f[3] = {fa, fb, fc};
    for (int k = 0; k < 3; ++k) {
        const double v = (f[k] - floor(f[k])) * n[k];
        // !(v >= 1) also catches NaN, whose conversion to int is undefined
        idx[k] = !(v >= 1.0) ? 0 : (v < n[k] ? (int)v : n[k] - 1);
    }
    const double la = floor(fa), lb = floor(fb), lc = floor(fc);
    wrapped[0] = px - (la * ax + lb * bx + lc * cx);
    wrapped[1] = py - (lb * by + lc * cy);
    wrapped[2] = pz - lc * cz;
    return (idx[0] * n[1] + idx[1]) * n[2] + idx[2];
}

// Sorting the atoms into the bins of a pass (a counting sort): BinAtomsThread wraps each atom
// and counts the atoms per bin (integer atomics), ScanBins turns the counts into the start of
// each bin (exclusive prefix sums, one block), ScatterThread puts each atom at the next free
// place of its bin. The order of the atoms within a bin depends on the order the scatter's
// atomics run in, which changes the results only by rounding (sums over a bin in another
// order); the host build's shuffled order exercises exactly that.
struct BinAtomsThread {
    double lat[9];  // D3System::lat (by value: kernel arguments)
    int n[3];
    const double* xyz;  // [natoms*3], as given (device)
    int* count;         // [nbins], zeroed
    int* bin_of;        // [natoms]
    int* idx;           // [natoms*3]
    double* wrapped;    // [natoms*3]
    D3_DEV void operator()(int i) const {
        const int bin = d3_bin_atom(lat, n, xyz + 3 * i, idx + 3 * i, wrapped + 3 * i);
        bin_of[i] = bin;
        atomicAdd(count + bin, 1);
    }
};

// Exclusive prefix sums of the bin counts in place (start[nbins] = the atom count) and a copy
// for the scatter's cursors, by one block: thread t sums a contiguous chunk of bins, the block
// scans those sums, then thread t writes its chunk's prefixes. Bins are at most ~8 per atom.
struct ScanBins {
    int nbins;
    int* start;  // [nbins+1]: counts in [0, nbins), prefix sums out
    int* fill;   // [nbins]
    D3_DEV void chunk(int t, int nt, int* lo, int* hi) const {
        const int per = (nbins + nt - 1) / nt;
        *lo = t * per < nbins ? t * per : nbins;
        *hi = *lo + per < nbins ? *lo + per : nbins;
    }
    D3_DEV int partial(int t, int nt) const {
        int lo, hi, sum = 0;
        chunk(t, nt, &lo, &hi);
        for (int k = lo; k < hi; ++k) sum += start[k];
        return sum;
    }
    D3_DEV void finish(int t, int nt, int prefix) const {
        int lo, hi;
        chunk(t, nt, &lo, &hi);
        for (int k = lo; k < hi; ++k) {
            const int c = start[k];
            start[k] = prefix;
            fill[k] = prefix;
            prefix += c;
        }
        if (t == nt - 1) start[nbins] = prefix;
    }
};

struct ScatterThread {
    const int* bin_of;
    const int* idx;
    const double* wrapped;
    int* fill;
    int* perm;
    int* home;
    double* xyz;
    D3_DEV void operator()(int i) const {
        const int p = atomicAdd(fill + bin_of[i], 1);
        perm[p] = i;
        for (int k = 0; k < 3; ++k) {
            home[3 * p + k] = idx[3 * i + k];
            xyz[3 * p + k] = wrapped[3 * i + k];
        }
    }
};

// Pair images a pass visits: every atom against every atom of its stencil's bins (host).
long long count_visits(const D3System& s, const BinGrid& g) {
    std::vector<long long> count(g.nbins(), 0);
    std::vector<int> home(3 * (size_t)s.natoms);
    for (int i = 0; i < s.natoms; ++i) {
        double wrapped[3];
        ++count[d3_bin_atom(s.lat, g.n, s.xyz + 3 * i, &home[3 * (size_t)i], wrapped)];
    }
    const int ns = (int)g.stencil.size() / 3;
    long long total = 0;
    for (int i = 0; i < s.natoms; ++i)
        for (int q = 0; q < ns; ++q) {
            int j[3];
            for (int k = 0; k < 3; ++k) {
                j[k] = home[3 * (size_t)i + k] + g.stencil[3 * q + k];
                j[k] -= floor_div(j[k], g.n[k]) * g.n[k];
            }
            total += count[(j[0] * g.n[1] + j[1]) * g.n[2] + j[2]];
        }
    return total;
}

// ---------------------------------------------------------------------------------------
// Launches.
#if defined(__CUDACC__)

__device__ double block_sum(double v, double* smem) {
    const int t = threadIdx.x;
    smem[t] = v;
    __syncthreads();
    for (int stride = D3_BLOCK / 2; stride > 0; stride >>= 1) {
        if (t < stride) smem[t] += smem[t + stride];
        __syncthreads();
    }
    const double r = smem[0];
    __syncthreads();
    return r;
}

template <class K>
__global__ void block_kernel(K k) {
    __shared__ double smem[D3_BLOCK];
    double p[K::NP];
    k.partial(blockIdx.x, threadIdx.x, D3_BLOCK, p);
    for (int c = 0; c < K::NP; ++c) p[c] = block_sum(p[c], smem);
    if (threadIdx.x == 0) k.finish(blockIdx.x, p);
}

template <class K>
__global__ void thread_kernel(K k, int n) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) k(i);
}

template <class K>
void launch_blocks(const K& k, int nblocks, cudaStream_t stream) {
    block_kernel<K><<<nblocks, D3_BLOCK, 0, stream>>>(k);
}

// One block: thread t contributes k.partial(t, nt), receives the exclusive prefix sum of the
// contributions of threads 0..t-1 in k.finish (Hillis-Steele scan in shared memory).
template <class K>
__global__ void scan_kernel(K k) {
    __shared__ int sums[D3_SCAN_THREADS];
    const int t = threadIdx.x;
    const int own = k.partial(t, D3_SCAN_THREADS);
    sums[t] = own;
    __syncthreads();
    for (int offset = 1; offset < D3_SCAN_THREADS; offset <<= 1) {
        const int add = t >= offset ? sums[t - offset] : 0;
        __syncthreads();
        sums[t] += add;
        __syncthreads();
    }
    k.finish(t, D3_SCAN_THREADS, sums[t] - own);
}

template <class K>
void launch_scan(const K& k, cudaStream_t stream) {
    scan_kernel<K><<<1, D3_SCAN_THREADS, 0, stream>>>(k);
}

template <class K>
void launch_threads(const K& k, int n, int block, cudaStream_t stream) {
    thread_kernel<K><<<(n + block - 1) / block, block, 0, stream>>>(k, n);
}

#else  // host emulation of the launches

// 0: forward, 1: reverse, 2: shuffled (seeded) block and thread order
int g_order = 0;
unsigned g_seed = 0;

std::vector<int> host_order(int count) {
    std::vector<int> order(count);
    std::iota(order.begin(), order.end(), 0);
    if (g_order == 1) std::reverse(order.begin(), order.end());
    if (g_order == 2) {
        std::mt19937 rng(g_seed + (unsigned)count);
        std::shuffle(order.begin(), order.end(), rng);
    }
    return order;
}

// The threads of a block write their partial sums, then the same shared-memory tree as the
// GPU's block_sum adds them up.
template <class K>
void launch_blocks(const K& k, int nblocks, cudaStream_t) {
    std::vector<double> parts((size_t)D3_BLOCK * K::NP), tree(D3_BLOCK);
    double sums[K::NP];
    const std::vector<int> threads = host_order(D3_BLOCK);
    for (int b : host_order(nblocks)) {
        for (int t : threads) k.partial(b, t, D3_BLOCK, &parts[(size_t)t * K::NP]);
        for (int c = 0; c < K::NP; ++c) {
            for (int t = 0; t < D3_BLOCK; ++t) tree[t] = parts[(size_t)t * K::NP + c];
            for (int stride = D3_BLOCK / 2; stride > 0; stride >>= 1)
                for (int t = 0; t < stride; ++t) tree[t] += tree[t + stride];
            sums[c] = tree[0];
        }
        k.finish(b, sums);
    }
}

template <class K>
void launch_threads(const K& k, int n, int, cudaStream_t) {
    for (int i : host_order(n)) k(i);
}

// The threads of the one block contribute in the emulated order; the prefix sums are those
// of the GPU's scan (integers: exact in any order).
template <class K>
void launch_scan(const K& k, cudaStream_t) {
    std::vector<int> own(D3_SCAN_THREADS), prefix(D3_SCAN_THREADS);
    const std::vector<int> threads = host_order(D3_SCAN_THREADS);
    for (int t : threads) own[t] = k.partial(t, D3_SCAN_THREADS);
    for (int t = 0, run = 0; t < D3_SCAN_THREADS; ++t) {
        prefix[t] = run;
        run += own[t];
    }
    for (int t : threads) k.finish(t, D3_SCAN_THREADS, prefix[t]);
}

#endif

// The binned pair pass with the damping fixed at compile time.
void launch_pair_bins(const D3System& s, const DevBins& b, const double* gw, const double* dgw,
                      double* energy, double* dEdcn, double* grad, double* sigma,
                      cudaStream_t stream) {
    const int n = s.natoms;
    switch (s.damping) {
        case D3_RATIONAL:
            launch_blocks(PairBinBlock<D3_RATIONAL>{s, b, gw, dgw, energy, dEdcn, grad, sigma},
                          n, stream);
            break;
        case D3_ZERO:
            launch_blocks(PairBinBlock<D3_ZERO>{s, b, gw, dgw, energy, dEdcn, grad, sigma}, n,
                          stream);
            break;
        case D3_MZERO:
            launch_blocks(PairBinBlock<D3_MZERO>{s, b, gw, dgw, energy, dEdcn, grad, sigma}, n,
                          stream);
            break;
        case D3_OPTIMIZEDPOWER:
            launch_blocks(
                PairBinBlock<D3_OPTIMIZEDPOWER>{s, b, gw, dgw, energy, dEdcn, grad, sigma}, n,
                stream);
            break;
        default:
            launch_blocks(PairBinBlock<D3_CSO>{s, b, gw, dgw, energy, dEdcn, grad, sigma}, n,
                          stream);
            break;
    }
}

// ---------------------------------------------------------------------------------------
// Persistent device memory: one arena per device, grown (never shrunk) as needed.
struct Arena {
    char* base = nullptr;
    size_t capacity = 0;
    std::vector<char> system;  // host copy of the per-system block last uploaded (offset 0)
    // recorded on the last call's stream after its last use of the arena: a call on another
    // stream waits for it before touching the arena (calls that return before their work is
    // done, D3_OUT_ON_DEVICE, must not race on the shared buffers)
    cudaEvent_t done = nullptr;
    cudaStream_t stream = nullptr;
    bool pending = false;
};

Arena g_arena[D3_MAX_DEVICES];
std::mutex g_lock;

size_t align_up(size_t bytes) { return (bytes + 255) / 256 * 256; }

struct Layout {
    size_t total = 0;
    size_t take(size_t bytes) {
        const size_t at = total;
        total += align_up(bytes ? bytes : 1);
        return at;
    }
};

#if !defined(__CUDACC__)
// the bins of the last binned call (host emulation only; see d3_cuda_host_last_bins)
struct BinsSnapshot {
    int n[3] = {0, 0, 0};
    std::vector<int> start, perm, home;
    std::vector<double> xyz;
};
BinsSnapshot g_last_bins[2];
#endif

int compute(const D3System* host, int device, cudaStream_t stream, int flags, double* energy,
            double* grad, double* sigma, double* cn_out, char* err, int errlen) {
    std::lock_guard<std::mutex> guard(g_lock);
    if (device < 0 || device >= D3_MAX_DEVICES)
        throw d3abi::invalid_argument("CUDA device index out of range");
    if (flags & ~(D3_XYZ_ON_DEVICE | D3_OUT_ON_DEVICE))
        throw d3abi::invalid_argument("unknown flags (D3_XYZ_ON_DEVICE | D3_OUT_ON_DEVICE)");
    const bool xyz_on_device = flags & D3_XYZ_ON_DEVICE;
    const bool out_on_device = flags & D3_OUT_ON_DEVICE;
    const int n = host->natoms;
    const int ns = host->nspecies;
    if (n < 0 || ns < 0 || (host->cell_mode == 0 && host->ntrans < 0))
        throw d3abi::invalid_argument("negative atom, species or image count");
    const size_t ntrans = host->cell_mode == 0 ? (size_t)host->ntrans : 0;
    const size_t nref2 = (size_t)D3_MAX_REF * D3_MAX_REF;
    cudaError_t e = cudaSetDevice(device);
    if (e != cudaSuccess) {
        char msg[256];
        snprintf(msg, sizeof msg, "CUDA error on device %d: %s", device, cudaGetErrorString(e));
        return d3abi::fail(err, errlen, D3_CUDA_ERROR, msg);
    }
    // everything else before any work (positions in device memory cannot be read here,
    // as d3_abi.h says); a device that cannot be selected was reported first
    d3abi::check_system(*host, !xyz_on_device);
    if (n == 0) {
        // nothing to launch (a grid of zero blocks is a CUDA error; the bins would be empty):
        // a zero virial, and no per-atom outputs
        if (!out_on_device) {
            for (int c = 0; c < 9; ++c) sigma[c] = 0.0;
            return (int)D3_OK;
        }
        e = cudaMemsetAsync(sigma, 0, sizeof(double) * 9, stream);
        if (e != cudaSuccess) {
            char msg[256];
            snprintf(msg, sizeof msg, "CUDA error on device %d: %s", device,
                     cudaGetErrorString(e));
            return d3abi::fail(err, errlen, D3_CUDA_ERROR, msg);
        }
        return (int)D3_OK;
    }
    // grids and stencils of the CN passes and of the dispersion pass (3D-periodic cells only)
    const bool binned = host->cell_mode == 1;
    BinGrid grid[2];
    if (binned) {
        grid[0].build(*host, host->cn_cutoff);
        grid[1].build(*host, host->cutoff);
    }

    // Everything but the positions changes rarely in MD: the species tables, the species, the
    // translations and the stencils, contiguous, so that an unchanged system is recognised by
    // one compare and not uploaded again.
    Layout tl;
    const size_t o_nref = tl.take(sizeof(int) * ns);
    const size_t o_cnref = tl.take(sizeof(double) * ns * D3_MAX_REF);
    const size_t o_rcov = tl.take(sizeof(double) * ns);
    const size_t o_r4r2 = tl.take(sizeof(double) * ns);
    const size_t o_r0ab = tl.take(sizeof(double) * ns * ns);
    const size_t o_c6ref = tl.take(sizeof(double) * ns * ns * nref2);
    const size_t o_tail = tl.take(host->tail ? sizeof(double) * ns * ns : 0);
    const size_t o_species = tl.take(sizeof(int) * n);
    const size_t o_trans = tl.take(sizeof(double) * 3 * ntrans);
    size_t o_stencil[2] = {};
    for (int k = 0; k < 2 && binned; ++k) o_stencil[k] = tl.take(sizeof(int) * grid[k].stencil.size());
    std::vector<char> system(tl.total, 0);
    memcpy(&system[o_nref], host->nref, sizeof(int) * ns);
    memcpy(&system[o_cnref], host->cnref, sizeof(double) * ns * D3_MAX_REF);
    memcpy(&system[o_rcov], host->rcov, sizeof(double) * ns);
    memcpy(&system[o_r4r2], host->r4r2, sizeof(double) * ns);
    memcpy(&system[o_r0ab], host->r0ab, sizeof(double) * ns * ns);
    memcpy(&system[o_c6ref], host->c6ref, sizeof(double) * ns * ns * nref2);
    if (host->tail) memcpy(&system[o_tail], host->tail, sizeof(double) * ns * ns);
    if (n) memcpy(&system[o_species], host->species, sizeof(int) * n);
    if (ntrans) memcpy(&system[o_trans], host->trans, sizeof(double) * 3 * ntrans);
    for (int k = 0; k < 2 && binned; ++k)
        memcpy(&system[o_stencil[k]], grid[k].stencil.data(),
               sizeof(int) * grid[k].stencil.size());

    Layout l;
    const size_t o_system = l.take(tl.total);  // 0: the cached block never moves
    const size_t o_xyz = xyz_on_device ? 0 : l.take(sizeof(double) * 3 * n);
    const size_t o_cn = l.take(sizeof(double) * n);
    const size_t o_gw = l.take(sizeof(double) * n * D3_MAX_REF);
    const size_t o_dgw = l.take(sizeof(double) * n * D3_MAX_REF);
    const size_t o_wsum = l.take(sizeof(double) * ns * D3_MAX_REF);
    // bins: fill, perm, home, xyz, bin_of, idx, wrapped (start, zeroed, is below)
    size_t o_bins[2][7] = {};
    for (int k = 0; k < 2 && binned; ++k) {
        o_bins[k][0] = l.take(sizeof(int) * grid[k].nbins());
        o_bins[k][1] = l.take(sizeof(int) * n);
        o_bins[k][2] = l.take(sizeof(int) * 3 * n);
        o_bins[k][3] = l.take(sizeof(double) * 3 * n);
        o_bins[k][4] = l.take(sizeof(int) * n);
        o_bins[k][5] = l.take(sizeof(int) * 3 * n);
        o_bins[k][6] = l.take(sizeof(double) * 3 * n);
    }
    // zeroed by one memset: the bin counts and the outputs
    const size_t o_zero = l.total;
    size_t o_start[2] = {};
    for (int k = 0; k < 2 && binned; ++k) o_start[k] = l.take(sizeof(int) * (grid[k].nbins() + 1));
    const size_t o_energy = l.take(sizeof(double) * n);
    const size_t o_dEdcn = l.take(sizeof(double) * n);
    const size_t o_grad = l.take(sizeof(double) * 3 * n);
    const size_t o_sigma = l.take(sizeof(double) * 9);

    Arena& a = g_arena[device];
    if (!a.done) e = cudaEventCreateWithFlags(&a.done, cudaEventDisableTiming);
    if (e == cudaSuccess && a.pending && a.stream != stream)
        e = cudaStreamWaitEvent(stream, a.done, 0);
    if (e == cudaSuccess && l.total > a.capacity) {
        if (a.base) cudaFree(a.base);  // synchronises the device: nothing uses the old arena
        a.base = nullptr;
        a.capacity = 0;
        a.system.clear();
        // room to grow by half before the next reallocation (MD: atoms rarely change)
        const size_t want = l.total + l.total / 2;
        e = cudaMalloc((void**)&a.base, want);
        if (e == cudaSuccess) a.capacity = want;
    }
    char* b = a.base;
    if (e == cudaSuccess && a.system != system) {
        e = cudaMemcpyAsync(b + o_system, system.data(), system.size(), cudaMemcpyHostToDevice,
                            stream);
        if (e == cudaSuccess) a.system = system;
    }
    if (e == cudaSuccess && !xyz_on_device)
        e = cudaMemcpyAsync(b + o_xyz, host->xyz, sizeof(double) * 3 * n,
                            cudaMemcpyHostToDevice, stream);
    if (e == cudaSuccess) e = cudaMemsetAsync(b + o_zero, 0, l.total - o_zero, stream);
    if (e == cudaSuccess) {
        d3abi::fault_point();  // test hook: a host-side failure with the buffers in use
        D3System s = *host;
        char* sb = b + o_system;
        s.species = (const int*)(sb + o_species);
        s.xyz = xyz_on_device ? host->xyz : (const double*)(b + o_xyz);
        s.trans = (const double*)(sb + o_trans);
        s.nref = (const int*)(sb + o_nref);
        s.cnref = (const double*)(sb + o_cnref);
        s.rcov = (const double*)(sb + o_rcov);
        s.r4r2 = (const double*)(sb + o_r4r2);
        s.r0ab = (const double*)(sb + o_r0ab);
        s.c6ref = (const double*)(sb + o_c6ref);
        s.tail = host->tail ? (const double*)(sb + o_tail) : nullptr;
        double* cn = (double*)(b + o_cn);
        double* gw = (double*)(b + o_gw);
        double* dgw = (double*)(b + o_dgw);
        double* d_energy = (double*)(b + o_energy);
        double* d_dEdcn = (double*)(b + o_dEdcn);
        double* d_grad = (double*)(b + o_grad);
        double* d_sigma = (double*)(b + o_sigma);
        DevBins db[2] = {};
        for (int k = 0; k < 2 && binned && n > 0; ++k) {
            const BinGrid& g = grid[k];
            int* start = (int*)(b + o_start[k]);
            int* fill = (int*)(b + o_bins[k][0]);
            int* perm = (int*)(b + o_bins[k][1]);
            int* home = (int*)(b + o_bins[k][2]);
            double* bxyz = (double*)(b + o_bins[k][3]);
            int* bin_of = (int*)(b + o_bins[k][4]);
            int* idx = (int*)(b + o_bins[k][5]);
            double* wrapped = (double*)(b + o_bins[k][6]);
            BinAtomsThread bin{{}, {g.n[0], g.n[1], g.n[2]}, s.xyz, start, bin_of, idx, wrapped};
            for (int c = 0; c < 9; ++c) bin.lat[c] = s.lat[c];
            launch_threads(bin, n, 128, stream);
            launch_scan(ScanBins{g.nbins(), start, fill}, stream);
            launch_threads(ScatterThread{bin_of, idx, wrapped, fill, perm, home, bxyz}, n, 128,
                           stream);
            for (int c = 0; c < 3; ++c) db[k].n[c] = g.n[c];
            db[k].nstencil = (int)g.stencil.size() / 3;
            db[k].start = start;
            db[k].perm = perm;
            db[k].home = home;
            db[k].xyz = bxyz;
            db[k].stencil = (const int*)(sb + o_stencil[k]);
        }
        if (binned)
            launch_blocks(CnBinBlock{s, db[0], cn}, n, stream);
        else
            launch_blocks(CnBlock{s, cn}, n, stream);
        launch_threads(WeightsThread{s, cn, gw, dgw}, n, 128, stream);
        if (d3_has_two_body(s)) {
            if (binned)
                launch_pair_bins(s, db[1], gw, dgw, d_energy, d_dEdcn, d_grad, d_sigma, stream);
            else
                launch_blocks(PairBlock{s, gw, dgw, d_energy, d_dEdcn, d_grad, d_sigma}, n,
                              stream);
        }
        if (d3_has_atm(s))
            launch_blocks(AtmBlock{s, gw, dgw, d_energy, d_dEdcn, d_grad, d_sigma}, n, stream);
        if (d3_has_tail(s)) {
            double* wsum = (double*)(b + o_wsum);
            launch_blocks(TailSumsBlock{s, gw, wsum}, ns, stream);
            launch_threads(TailThread{s, wsum, dgw, d_dEdcn}, n, 128, stream);
        }
        if (binned)
            launch_blocks(ChainBinBlock{s, db[0], d_dEdcn, d_grad, d_sigma}, n, stream);
        else
            launch_blocks(ChainBlock{s, d_dEdcn, d_grad, d_sigma}, n, stream);
#if !defined(__CUDACC__)
        for (int k = 0; k < 2 && binned; ++k) {
            BinsSnapshot& snap = g_last_bins[k];
            for (int c = 0; c < 3; ++c) snap.n[c] = grid[k].n[c];
            snap.start.assign(db[k].start, db[k].start + grid[k].nbins() + 1);
            snap.perm.assign(db[k].perm, db[k].perm + n);
            snap.home.assign(db[k].home, db[k].home + 3 * (size_t)n);
            snap.xyz.assign(db[k].xyz, db[k].xyz + 3 * (size_t)n);
        }
#endif
        e = cudaGetLastError();
        const cudaMemcpyKind out = out_on_device ? cudaMemcpyDeviceToDevice
                                                 : cudaMemcpyDeviceToHost;
        if (e == cudaSuccess)
            e = cudaMemcpyAsync(energy, d_energy, sizeof(double) * n, out, stream);
        if (e == cudaSuccess)
            e = cudaMemcpyAsync(grad, d_grad, sizeof(double) * 3 * n, out, stream);
        if (e == cudaSuccess)
            e = cudaMemcpyAsync(sigma, d_sigma, sizeof(double) * 9, out, stream);
        if (e == cudaSuccess && cn_out)
            e = cudaMemcpyAsync(cn_out, cn, sizeof(double) * n, out, stream);
        if (e == cudaSuccess) e = cudaEventRecord(a.done, stream);
        if (e == cudaSuccess) {
            a.stream = stream;
            a.pending = out_on_device;
        }
        // host outputs are complete on return; device outputs are ordered on the stream
        if (e == cudaSuccess && !out_on_device) e = cudaStreamSynchronize(stream);
    }
    if (e != cudaSuccess) {
        // a failed upload leaves the cached system unknown
        a.system.clear();
        char msg[256];
        snprintf(msg, sizeof msg, "CUDA error on device %d: %s", device, cudaGetErrorString(e));
        return d3abi::fail(err, errlen,
                           e == cudaErrorMemoryAllocation ? D3_OUT_OF_MEMORY : D3_CUDA_ERROR, msg);
    }
    return (int)D3_OK;
}

}  // namespace

extern "C" {

int d3_cuda_device_count(int* count, char* err, int errlen) {
    return d3abi::guard("d3_cuda_device_count", err, errlen, [&] {
        if (!count) throw d3abi::invalid_argument("NULL count pointer");
        *count = 0;
        // no driver or no device: zero devices, not an error
        if (cudaGetDeviceCount(count) != cudaSuccess) *count = 0;
        return (int)D3_OK;
    });
}

int d3_cuda_compute(const D3System* host, int device, void* stream, double* energy,
                    double* grad, double* sigma, double* cn_out, char* err, int errlen) {
    return d3abi::guard("the D3 CUDA driver", err, errlen, [&] {
        if (!host || !energy || !grad || !sigma)
            throw d3abi::invalid_argument("NULL system or output pointer");
        return compute(host, device, (cudaStream_t)stream, 0, energy, grad, sigma, cn_out, err,
                       errlen);
    });
}

int d3_cuda_compute_on_device(const D3System* host, int device, void* stream, int flags,
                              double* energy, double* grad, double* sigma, double* cn_out,
                              char* err, int errlen) {
    return d3abi::guard("the D3 CUDA driver", err, errlen, [&] {
        if (!host || !host->xyz || !energy || !grad || !sigma)
            throw d3abi::invalid_argument("NULL system, positions or output pointer");
        return compute(host, device, (cudaStream_t)stream, flags, energy, grad, sigma, cn_out,
                       err, errlen);
    });
}

// Frees the device arenas (they are otherwise kept for the life of the process).
int d3_cuda_release(char* err, int errlen) {
    return d3abi::guard("d3_cuda_release", err, errlen, [&] {
        std::lock_guard<std::mutex> guard(g_lock);
        for (int d = 0; d < D3_MAX_DEVICES; ++d) {
            Arena& a = g_arena[d];
            if (a.base || a.done) cudaSetDevice(d);
            if (a.base) cudaFree(a.base);
            if (a.done) cudaEventDestroy(a.done);
            a = Arena();
        }
        return (int)D3_OK;
    });
}

// Pair images each pass of a 3D-periodic system visits on the GPU, from its grids and
// stencils and the atoms' bins (no kernel runs): out[0] the CN pass (and the CN chain pass,
// which has the same), out[1] the dispersion pass. D3_INVALID for a system that is not
// 3D-periodic.
int d3_cuda_visit_model(const D3System* host, long long* out, char* err, int errlen) {
    return d3abi::guard("d3_cuda_visit_model", err, errlen, [&] {
        if (!host || !out) throw d3abi::invalid_argument("NULL system or output pointer");
        d3abi::check_system(*host, true);
        if (host->cell_mode != 1)
            throw d3abi::invalid_argument(
                "the visit model is for 3D-periodic cells (cell_mode 1)");
        BinGrid g;
        g.build(*host, host->cn_cutoff);
        out[0] = count_visits(*host, g);
        g.build(*host, host->cutoff);
        out[1] = count_visits(*host, g);
        return (int)D3_OK;
    });
}

#if !defined(__CUDACC__)
int d3_cuda_host_visits(long long* visits, char* err, int errlen) {
    return d3abi::guard("d3_cuda_host_visits", err, errlen, [&] {
        if (!visits) throw d3abi::invalid_argument("NULL visits pointer");
        *visits = g_visits;
        g_visits = 0;
        return (int)D3_OK;
    });
}

int d3_cuda_host_set_order(int order, unsigned seed, char* err, int errlen) {
    return d3abi::guard("d3_cuda_host_set_order", err, errlen, [&] {
        if (order < 0 || order > 2) throw d3abi::invalid_argument("order must be 0, 1 or 2");
        g_order = order;
        g_seed = seed;
        return (int)D3_OK;
    });
}

int d3_cuda_host_last_bins(int pass, int* dims, int* natoms, int* start, int* perm, int* home,
                           double* xyz, char* err, int errlen) {
    return d3abi::guard("d3_cuda_host_last_bins", err, errlen, [&] {
        if (pass < 0 || pass > 1) throw d3abi::invalid_argument("pass must be 0 (CN) or 1");
        if (!dims || !natoms) throw d3abi::invalid_argument("NULL dims or natoms pointer");
        std::lock_guard<std::mutex> guard(g_lock);
        const BinsSnapshot& snap = g_last_bins[pass];
        for (int c = 0; c < 3; ++c) dims[c] = snap.n[c];
        *natoms = (int)snap.perm.size();
        if (start) std::copy(snap.start.begin(), snap.start.end(), start);
        if (perm) std::copy(snap.perm.begin(), snap.perm.end(), perm);
        if (home) std::copy(snap.home.begin(), snap.home.end(), home);
        if (xyz) std::copy(snap.xyz.begin(), snap.xyz.end(), xyz);
        return (int)D3_OK;
    });
}
#endif

}  // extern "C"
