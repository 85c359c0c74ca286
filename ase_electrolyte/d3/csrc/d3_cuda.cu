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
// Device buffers live in one arena per device that only grows, and the species tables are
// uploaded only when they change: a call makes no cudaMalloc/cudaFree (each cudaFree would
// synchronise the device) once the arena is large enough. Everything runs on the caller's
// stream (torch's current stream when called from ase_electrolyte).
#include "d3_cuda_compat.h"

#include <stdio.h>
#include <string.h>

#include <exception>
#include <mutex>
#include <new>
#include <vector>

#include "d3_abi_exports.h"
#include "d3_math.h"

#include <algorithm>
#include <cmath>

#if !defined(__CUDACC__)
#include <numeric>
#include <random>
#endif

#define D3_BLOCK 128
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
// wrapped into the cell, are sorted into bins of about a tenth of the pass's cutoff, and a
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
        d3_bin_images(s, b, p, t, nt, s.cn_cutoff * s.cn_cutoff, 1e-12,
                      [&](int q, double, double, double, double r2) {
            acc += d3_count(rci + s.rcov[s.species[b.perm[q]]], r2);
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
        d3_bin_images(s, b, p, t, nt, s.cn_cutoff * s.cn_cutoff, 1e-12,
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

// Host-side construction of the bins and stencil of one pass (same code for both builds).
struct HostBins {
    int n[3] = {1, 1, 1};
    std::vector<int> start, perm, home, stencil;
    std::vector<double> xyz;

    void build(const D3System& s, double cutoff) {
        const int natoms = s.natoms;
        const double ax = s.lat[0], bx = s.lat[3], by = s.lat[4];
        const double cx = s.lat[6], cy = s.lat[7], cz = s.lat[8];
        const double volume = fabs(ax * by * cz);
        const double height[3] = {
            volume / sqrt(by * cz * by * cz + bx * cz * bx * cz +
                          (bx * cy - by * cx) * (bx * cy - by * cx)),
            volume / sqrt(ax * cz * ax * cz + ax * cy * ax * cy), fabs(cz)};
        // bins of a tenth of the cutoff, but never many more bins than atoms (memory O(N))
        double width = cutoff / 10.0;
        for (;;) {
            for (int k = 0; k < 3; ++k)
                n[k] = (int)std::max(1.0, std::min(1024.0, floor(height[k] / width)));
            if ((double)n[0] * n[1] * n[2] <= 8.0 * natoms + 64.0) break;
            width *= 1.1;
        }
        const int nbins = n[0] * n[1] * n[2];
        std::vector<int> bin_of(natoms), idx(3 * (size_t)natoms);
        std::vector<double> wrapped(3 * (size_t)natoms);
        for (int i = 0; i < natoms; ++i) {
            double px = s.xyz[3 * i], py = s.xyz[3 * i + 1], pz = s.xyz[3 * i + 2];
            const double fc = pz / cz;
            const double fb = (py - fc * cy) / by;
            const double fa = (px - fc * cx - fb * bx) / ax;
            const double f[3] = {fa, fb, fc};
            for (int k = 0; k < 3; ++k) {
                const double fl = f[k] - floor(f[k]);
                idx[3 * i + k] = std::min(n[k] - 1, std::max(0, (int)floor(fl * n[k])));
            }
            const double la = floor(fa), lb = floor(fb), lc = floor(fc);
            wrapped[3 * i] = px - (la * ax + lb * bx + lc * cx);
            wrapped[3 * i + 1] = py - (lb * by + lc * cy);
            wrapped[3 * i + 2] = pz - lc * cz;
            bin_of[i] = (idx[3 * i] * n[1] + idx[3 * i + 1]) * n[2] + idx[3 * i + 2];
        }
        start.assign(nbins + 1, 0);
        for (int i = 0; i < natoms; ++i) ++start[bin_of[i] + 1];
        for (int k = 0; k < nbins; ++k) start[k + 1] += start[k];
        std::vector<int> fill(start.begin(), start.end() - 1);
        perm.resize(natoms);
        for (int i = 0; i < natoms; ++i) perm[fill[bin_of[i]]++] = i;
        home.resize(3 * (size_t)natoms);
        xyz.resize(3 * (size_t)natoms);
        for (int p = 0; p < natoms; ++p)
            for (int k = 0; k < 3; ++k) {
                home[3 * p + k] = idx[3 * perm[p] + k];
                xyz[3 * p + k] = wrapped[3 * perm[p] + k];
            }
        // stencil: offsets whose bins can hold two points within the cutoff
        double u[3][3];
        for (int k = 0; k < 3; ++k)
            for (int c = 0; c < 3; ++c) u[k][c] = s.lat[3 * k + c] / n[k];
        double diag = 0.0;
        const int signs[4][3] = {{1, 1, 1}, {1, 1, -1}, {1, -1, 1}, {-1, 1, 1}};
        for (const auto& sg : signs) {
            double v2 = 0.0;
            for (int c = 0; c < 3; ++c) {
                const double v = sg[0] * u[0][c] + sg[1] * u[1][c] + sg[2] * u[2][c];
                v2 += v * v;
            }
            diag = std::max(diag, sqrt(v2));
        }
        const double reach = (cutoff + diag) * (1.0 + 1e-9) + 1e-9;
        int m[3];
        for (int k = 0; k < 3; ++k) m[k] = (int)ceil(reach / (height[k] / n[k])) + 1;
        stencil.clear();
        for (int i = -m[0]; i <= m[0]; ++i)
            for (int j = -m[1]; j <= m[1]; ++j)
                for (int k = -m[2]; k <= m[2]; ++k) {
                    double s2 = 0.0;
                    for (int c = 0; c < 3; ++c) {
                        const double v = i * u[0][c] + j * u[1][c] + k * u[2][c];
                        s2 += v * v;
                    }
                    if (s2 <= reach * reach) {
                        stencil.push_back(i);
                        stencil.push_back(j);
                        stencil.push_back(k);
                    }
                }
    }

    // pair images the pass visits: every atom against every atom of its stencil's bins
    long long visits() const {
        const int ns = (int)stencil.size() / 3;
        long long total = 0;
        for (size_t p = 0; p < perm.size(); ++p)
            for (int q = 0; q < ns; ++q) {
                int j[3];
                for (int k = 0; k < 3; ++k) {
                    j[k] = home[3 * p + k] + stencil[3 * q + k];
                    j[k] -= floor_div(j[k], n[k]) * n[k];
                }
                const int bin = (j[0] * n[1] + j[1]) * n[2] + j[2];
                total += start[bin + 1] - start[bin];
            }
        return total;
    }
};

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
    std::vector<char> tables;  // host copy of the species tables last uploaded
    size_t tables_offset = (size_t)-1;
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

int compute(const D3System* host, int device, cudaStream_t stream, double* energy, double* grad,
            double* sigma, double* cn_out, char* err, int errlen) {
    std::lock_guard<std::mutex> guard(g_lock);
    if (device < 0 || device >= D3_MAX_DEVICES)
        throw d3abi::invalid_argument("CUDA device index out of range");
    const int n = host->natoms;
    const int ns = host->nspecies;
    if (n < 0 || ns < 0 || (host->cell_mode == 0 && host->ntrans < 0))
        throw d3abi::invalid_argument("negative atom, species or image count");
    const size_t ntrans = host->cell_mode == 0 ? (size_t)host->ntrans : 0;
    const size_t nref2 = (size_t)D3_MAX_REF * D3_MAX_REF;

    // the species tables, contiguous, so that an unchanged set is recognised by one compare
    Layout tl;
    const size_t o_nref = tl.take(sizeof(int) * ns);
    const size_t o_cnref = tl.take(sizeof(double) * ns * D3_MAX_REF);
    const size_t o_rcov = tl.take(sizeof(double) * ns);
    const size_t o_r4r2 = tl.take(sizeof(double) * ns);
    const size_t o_r0ab = tl.take(sizeof(double) * ns * ns);
    const size_t o_c6ref = tl.take(sizeof(double) * ns * ns * nref2);
    std::vector<char> tables(tl.total, 0);
    memcpy(&tables[o_nref], host->nref, sizeof(int) * ns);
    memcpy(&tables[o_cnref], host->cnref, sizeof(double) * ns * D3_MAX_REF);
    memcpy(&tables[o_rcov], host->rcov, sizeof(double) * ns);
    memcpy(&tables[o_r4r2], host->r4r2, sizeof(double) * ns);
    memcpy(&tables[o_r0ab], host->r0ab, sizeof(double) * ns * ns);
    memcpy(&tables[o_c6ref], host->c6ref, sizeof(double) * ns * ns * nref2);

    Layout l;
    const size_t o_tables = l.take(tl.total);
    const size_t o_species = l.take(sizeof(int) * n);
    const size_t o_xyz = l.take(sizeof(double) * 3 * n);
    const size_t o_trans = l.take(sizeof(double) * 3 * ntrans);
    const size_t o_cn = l.take(sizeof(double) * n);
    const size_t o_gw = l.take(sizeof(double) * n * D3_MAX_REF);
    const size_t o_dgw = l.take(sizeof(double) * n * D3_MAX_REF);
    // bins of the CN passes and of the dispersion pass (3D-periodic cells only)
    const bool binned = host->cell_mode == 1;
    HostBins hb[2];
    size_t o_bins[2][5] = {};
    if (binned) {
        hb[0].build(*host, host->cn_cutoff);
        hb[1].build(*host, host->cutoff);
        for (int k = 0; k < 2; ++k) {
            o_bins[k][0] = l.take(sizeof(int) * hb[k].start.size());
            o_bins[k][1] = l.take(sizeof(int) * hb[k].perm.size());
            o_bins[k][2] = l.take(sizeof(int) * hb[k].home.size());
            o_bins[k][3] = l.take(sizeof(double) * hb[k].xyz.size());
            o_bins[k][4] = l.take(sizeof(int) * hb[k].stencil.size());
        }
    }
    // outputs, zeroed by one memset
    const size_t o_out = l.total;
    const size_t o_energy = l.take(sizeof(double) * n);
    const size_t o_dEdcn = l.take(sizeof(double) * n);
    const size_t o_grad = l.take(sizeof(double) * 3 * n);
    const size_t o_sigma = l.take(sizeof(double) * 9);

    Arena& a = g_arena[device];
    cudaError_t e = cudaSetDevice(device);
    if (e == cudaSuccess && l.total > a.capacity) {
        if (a.base) cudaFree(a.base);
        a.base = nullptr;
        a.capacity = 0;
        a.tables.clear();
        // room to grow by half before the next reallocation (MD: atoms rarely change)
        const size_t want = l.total + l.total / 2;
        e = cudaMalloc((void**)&a.base, want);
        if (e == cudaSuccess) a.capacity = want;
    }
    char* b = a.base;
    if (e == cudaSuccess && (a.tables_offset != o_tables || a.tables != tables)) {
        e = cudaMemcpyAsync(b + o_tables, tables.data(), tables.size(), cudaMemcpyHostToDevice,
                            stream);
        if (e == cudaSuccess) {
            a.tables = tables;
            a.tables_offset = o_tables;
        }
    }
    if (e == cudaSuccess)
        e = cudaMemcpyAsync(b + o_species, host->species, sizeof(int) * n,
                            cudaMemcpyHostToDevice, stream);
    if (e == cudaSuccess)
        e = cudaMemcpyAsync(b + o_xyz, host->xyz, sizeof(double) * 3 * n,
                            cudaMemcpyHostToDevice, stream);
    if (e == cudaSuccess && ntrans)
        e = cudaMemcpyAsync(b + o_trans, host->trans, sizeof(double) * 3 * ntrans,
                            cudaMemcpyHostToDevice, stream);
    DevBins db[2] = {};
    for (int k = 0; k < 2 && binned; ++k) {
        const HostBins& h = hb[k];
        const void* src[5] = {h.start.data(), h.perm.data(), h.home.data(), h.xyz.data(),
                              h.stencil.data()};
        const size_t bytes[5] = {sizeof(int) * h.start.size(), sizeof(int) * h.perm.size(),
                                 sizeof(int) * h.home.size(), sizeof(double) * h.xyz.size(),
                                 sizeof(int) * h.stencil.size()};
        for (int a = 0; a < 5 && e == cudaSuccess; ++a)
            e = cudaMemcpyAsync(b + o_bins[k][a], src[a], bytes[a], cudaMemcpyHostToDevice,
                                stream);
        for (int c = 0; c < 3; ++c) db[k].n[c] = h.n[c];
        db[k].nstencil = (int)h.stencil.size() / 3;
        db[k].start = (const int*)(b + o_bins[k][0]);
        db[k].perm = (const int*)(b + o_bins[k][1]);
        db[k].home = (const int*)(b + o_bins[k][2]);
        db[k].xyz = (const double*)(b + o_bins[k][3]);
        db[k].stencil = (const int*)(b + o_bins[k][4]);
    }
    if (e == cudaSuccess) e = cudaMemsetAsync(b + o_out, 0, l.total - o_out, stream);
    if (e == cudaSuccess) {
        d3abi::fault_point();  // test hook: a host-side failure with the buffers in use
        D3System s = *host;
        s.species = (const int*)(b + o_species);
        s.xyz = (const double*)(b + o_xyz);
        s.trans = (const double*)(b + o_trans);
        s.nref = (const int*)(b + o_tables + o_nref);
        s.cnref = (const double*)(b + o_tables + o_cnref);
        s.rcov = (const double*)(b + o_tables + o_rcov);
        s.r4r2 = (const double*)(b + o_tables + o_r4r2);
        s.r0ab = (const double*)(b + o_tables + o_r0ab);
        s.c6ref = (const double*)(b + o_tables + o_c6ref);
        double* cn = (double*)(b + o_cn);
        double* gw = (double*)(b + o_gw);
        double* dgw = (double*)(b + o_dgw);
        double* d_energy = (double*)(b + o_energy);
        double* d_dEdcn = (double*)(b + o_dEdcn);
        double* d_grad = (double*)(b + o_grad);
        double* d_sigma = (double*)(b + o_sigma);
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
        if (binned)
            launch_blocks(ChainBinBlock{s, db[0], d_dEdcn, d_grad, d_sigma}, n, stream);
        else
            launch_blocks(ChainBlock{s, d_dEdcn, d_grad, d_sigma}, n, stream);
        e = cudaGetLastError();
        if (e == cudaSuccess)
            e = cudaMemcpyAsync(energy, d_energy, sizeof(double) * n, cudaMemcpyDeviceToHost,
                                stream);
        if (e == cudaSuccess)
            e = cudaMemcpyAsync(grad, d_grad, sizeof(double) * 3 * n, cudaMemcpyDeviceToHost,
                                stream);
        if (e == cudaSuccess)
            e = cudaMemcpyAsync(sigma, d_sigma, sizeof(double) * 9, cudaMemcpyDeviceToHost,
                                stream);
        if (e == cudaSuccess && cn_out)
            e = cudaMemcpyAsync(cn_out, cn, sizeof(double) * n, cudaMemcpyDeviceToHost, stream);
        if (e == cudaSuccess) e = cudaStreamSynchronize(stream);
    }
    if (e != cudaSuccess) {
        // a failed upload leaves the cached tables unknown
        a.tables.clear();
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
        return compute(host, device, (cudaStream_t)stream, energy, grad, sigma, cn_out, err,
                       errlen);
    });
}

// Frees the device arenas (they are otherwise kept for the life of the process).
int d3_cuda_release(char* err, int errlen) {
    return d3abi::guard("d3_cuda_release", err, errlen, [&] {
        std::lock_guard<std::mutex> guard(g_lock);
        for (Arena& a : g_arena) {
            if (a.base) cudaFree(a.base);
            a = Arena();
        }
        return (int)D3_OK;
    });
}

// Pair images each pass of a 3D-periodic system visits on the GPU, from its bins and
// stencils (no kernel runs): out[0] the CN pass (and the CN chain pass, which has the same),
// out[1] the dispersion pass. D3_INVALID for a system that is not 3D-periodic.
int d3_cuda_visit_model(const D3System* host, long long* out, char* err, int errlen) {
    return d3abi::guard("d3_cuda_visit_model", err, errlen, [&] {
        if (host->cell_mode != 1)
            throw d3abi::invalid_argument(
                "the visit model is for 3D-periodic cells (cell_mode 1)");
        HostBins h;
        h.build(*host, host->cn_cutoff);
        out[0] = h.visits();
        h.build(*host, host->cutoff);
        out[1] = h.visits();
        return (int)D3_OK;
    });
}

#if !defined(__CUDACC__)
int d3_cuda_host_visits(long long* visits, char* err, int errlen) {
    return d3abi::guard("d3_cuda_host_visits", err, errlen, [&] {
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
#endif

}  // extern "C"
