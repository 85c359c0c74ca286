// Multithreaded CPU kernel of DFT-D3 (std::thread), called from Python through ctypes.
//
// Three passes over atom pairs (and their periodic images), none of which stores anything
// of size N x N or N x neighbours:
//   1. coordination numbers;
//   2. two-body energy, direct gradient and virial, and dE/dCN_i, plus the ATM term when
//      requested;
//   3. the CN chain rule, dE/dCN_i * dCN_i/dr, over the CN pairs again (dE/dCN_i includes
//      the homogeneous tail's, when the caller sets its coefficients, D3System.tail).
// Each thread accumulates into its own O(N) buffers, reduced at the end in double.
//
// Fully periodic cells (cell_mode 1) go through the package's one neighbour engine,
// ase_electrolyte/csrc/cell_list.h (shared with the RDF pair histogram): atoms are wrapped
// into the cell and sorted into sub-cells; a stencil of sub-cell offsets covers everything
// within the cutoff, and each (home sub-cell, neighbour sub-cell, lattice translation) block
// is kept only if the bounding boxes of its atoms come within the cutoff. Far pairs and far
// images then cost nothing. The inner loops keep eight contiguous neighbour atoms in vector
// registers while the translations of their sub-cell go by (rational damping and both CN
// passes; the other dampings and the smooth cutoff run the same blocks in scalar code),
// and per pair the C6 comes from per-atom tables (SpeciesRows). Other systems (molecules,
// partial periodicity with an explicit translation list) loop over all pairs.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <new>
#include <stdexcept>
#include <thread>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "cell_list.h"
#include "d3_abi_exports.h"
#include "d3_math.h"

namespace {

using cell_list::Block;
using cell_list::Stencil;

// body(tid, i) for every row i, longest rows (i = N-1 has N partners j <= i) first.
template <class Body>
void parallel_rows(int natoms, int nthreads, Body&& body) {
    std::atomic<int> next(0);
    const int chunk = 8;
    cell_list::run_threads(nthreads, [&](int tid) {
        d3abi::fault_point();
        for (int start; (start = next.fetch_add(chunk)) < natoms;) {
            const int stop = std::min(natoms, start + chunk);
            for (int r = start; r < stop; ++r) body(tid, natoms - 1 - r);
        }
    });
}

// ---------------------------------------------------------------------------------------
// The shared cell list (csrc/cell_list.h) of the system's lower-triangular cell, plus the
// species of the sorted atoms.
struct CellGrid : cell_list::Grid {
    std::vector<int> species;  // sorted

    void build(const D3System& s, double atoms_per_cell) {
        cell_list::Grid::build(s.lat, s.natoms, s.xyz, atoms_per_cell);
        species.resize(s.natoms);
        for (int p = 0; p < s.natoms; ++p) species[p] = s.species[perm[p]];
    }
};

struct ThreadBuffers {
    std::vector<double> a, b, c;  // per-pass scratch: [N], [N], [3N]
    double sigma[9];
    std::vector<double> acc;      // per-neighbour-atom sums of the cell passes: [8 * stride]
};

// Zeroes every thread's gradient c and virial before a pass, and its energy a and dE/dCN b
// when the pass produces them.
void clear_buffers(std::vector<ThreadBuffers>& buf, int n, bool energy) {
    for (auto& b : buf) {
        if (energy) {
            b.a.assign(n, 0.0);
            b.b.assign(n, 0.0);
        }
        b.c.assign(3 * (size_t)n, 0.0);
        std::fill(b.sigma, b.sigma + 9, 0.0);
    }
}

void add_thread_sigma(const std::vector<ThreadBuffers>& buf, double* sigma) {
    for (const auto& b : buf)
        for (int c = 0; c < 9; ++c) sigma[c] += b.sigma[c];
}

// The pair images of the cell passes: cell_list::for_each_cell_block with the fault hook.
template <class Body>
void for_each_cell_block(const CellGrid& g, const Stencil& st, double cutoff, int nthreads,
                         Body&& body) {
    cell_list::for_each_cell_block(g, st, cutoff, nthreads, body, d3abi::fault_point);
}

// Length of each per-neighbour scratch row: the largest sub-cell population rounded up to
// a multiple of 8 (whole groups of 8 are read and written).
int scratch_stride(const CellGrid& g) {
    return (std::max(1, g.max_population()) + 7) / 8 * 8;
}

// Accumulation into this thread's own buffers (the GPU kernel uses atomicAdd instead).
struct PlainAdd {
    void operator()(double* p, double v) const { *p += v; }
};

// Eight doubles as one value (GCC/Clang vector extension): AVX-512 registers with
// -march=native on such CPUs, pairs or quadruples of narrower registers elsewhere.
typedef double vd8 __attribute__((vector_size(64)));
typedef long long vl8 __attribute__((vector_size(64)));

inline vd8 load8(const double* p) {
    vd8 v;
    memcpy(&v, p, sizeof v);
    return v;
}

inline void store8(double* p, vd8 v) { memcpy(p, &v, sizeof v); }

inline vd8 splat8(double v) { return (vd8){} + v; }

// a where mask is set, else 0 (or b)
inline vd8 select8(vl8 mask, vd8 a) { return (vd8)((vl8)a & mask); }
inline vd8 blend8(vl8 mask, vd8 a, vd8 b) { return (vd8)(((vl8)a & mask) | ((vl8)b & ~mask)); }

inline double hsum8(vd8 v) {
    double s = 0.0;
    for (int k = 0; k < 8; ++k) s += v[k];
    return s;
}

inline vd8 sqrt8(vd8 x) {
    vd8 r = x;
    for (int k = 0; k < 8; ++k) r[k] = sqrt(r[k]);
    return r;
}

// exp(x) within ~1 ulp of libm's, for eight values at once (glibc's vector exp is only
// declared under -ffast-math). Cody-Waite reduction by ln 2 and the Taylor series to
// degree 13 on |r| <= ln(2)/2 (truncation error < 1e-17). Needs round-to-nearest
// arithmetic without reassociation, i.e. no -ffast-math.
inline vd8 exp8(vd8 x) {
    const vl8 low = x < -708.0, high = x > 708.0;
    x = blend8(low, splat8(-708.0), blend8(high, splat8(708.0), x));
    // round to nearest by the 1.5 * 2^52 shift
    const double shift = 6755399441055744.0;
    const vd8 n = (x * 1.4426950408889634 + shift) - shift;
    const vd8 r = (x - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10;
    vd8 p = r * (1.0 / 6227020800.0) + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    const vl8 bits = (__builtin_convertvector(n, vl8) + 1023) << 52;
    return p * (vd8)bits;
}

}  // namespace

// The pair formulas of d3_math.h evaluated for eight pairs at once.
template <>
struct D3Ops<vd8> {
    static vd8 exp(vd8 x) { return exp8(x); }
#if defined(__AVX512F__)
    // 14-bit hardware estimates refined by two Newton steps (each squares the relative
    // error: 2^-14 -> 2^-28 -> below 2^-53), fused multiply-adds for the residuals; about a
    // fifth of the cycles of vdivpd / vsqrtpd, within ~1 ulp of them.
    static vd8 recip(vd8 x) {
        const __m512d a = (__m512d)x, one = _mm512_set1_pd(1.0);
        __m512d y = _mm512_mask_rcp14_pd(a, 0xFF, a);
        for (int k = 0; k < 2; ++k) y = _mm512_fmadd_pd(y, _mm512_fnmadd_pd(a, y, one), y);
        return (vd8)y;
    }
    static vd8 rsqrt(vd8 x) {
        const __m512d a = (__m512d)x, one = _mm512_set1_pd(1.0), half = _mm512_set1_pd(0.5);
        __m512d y = _mm512_mask_rsqrt14_pd(a, 0xFF, a);
        for (int k = 0; k < 2; ++k) {
            const __m512d e = _mm512_fnmadd_pd(_mm512_mul_pd(a, y), y, one);  // 1 - x y^2
            y = _mm512_fmadd_pd(_mm512_mul_pd(y, half), e, y);
        }
        return (vd8)y;
    }
#else
    static vd8 recip(vd8 x) { return 1.0 / x; }
    static vd8 rsqrt(vd8 x) { return 1.0 / sqrt8(x); }
#endif
};

namespace {

typedef D3ImageSumsT<vd8> VSums;

// Tables over the sorted atoms j for every species z of a partner atom, so that the inner
// loops read pair quantities contiguously: rc[z][j] = rcov_z + rcov_j, the rational-damping
// constants of (z, z_j), and v[z][a][j] = sum_b C6ref(z, z_j)[a][b] gw_j[b] (dv: with
// dgw_j), which turns the C6 of a pair into nref_z multiply-adds.
struct SpeciesRows {
    int n = 0, ns = 0;
    std::vector<double> rc, p6, p8, q8, v, dv;
    bool folded = false;

    void build_cn(const D3System& s, const CellGrid& g) {
        n = s.natoms;
        ns = s.nspecies;
        rc.assign((size_t)ns * n + 8, 0.0);  // padded for the groups of 8
        for (int z = 0; z < ns; ++z)
            for (int j = 0; j < n; ++j) rc[(size_t)z * n + j] = s.rcov[z] + s.rcov[g.species[j]];
    }

    void build_dispersion(const D3System& s, const CellGrid& g, const std::vector<D3PairConst>& pk,
                          const double* gws, const double* dgws) {
        n = s.natoms;
        ns = s.nspecies;
        p6.assign((size_t)ns * n + 8, 0.0);  // padded for the groups of 8
        p8.assign((size_t)ns * n + 8, 0.0);
        q8.assign((size_t)ns * n + 8, 0.0);
        for (int z = 0; z < ns; ++z)
            for (int j = 0; j < n; ++j) {
                const D3PairConst& k = pk[(size_t)z * ns + g.species[j]];
                p6[(size_t)z * n + j] = k.p0;
                p8[(size_t)z * n + j] = k.p1;
                q8[(size_t)z * n + j] = s.s8 * k.rrij;
            }
        // many species: fall back to the full double sum per pair rather than a big table
        folded = (double)ns * n * 2 * D3_MAX_REF * sizeof(double) <= 128.0 * 1024 * 1024;
        if (!folded) return;
        v.assign((size_t)ns * D3_MAX_REF * n, 0.0);
        dv.assign((size_t)ns * D3_MAX_REF * n, 0.0);
        for (int j = 0; j < n; ++j) {
            const int zj = g.species[j];
            for (int z = 0; z < ns; ++z) {
                const double* ref = s.c6ref + ((size_t)z * ns + zj) * D3_MAX_REF * D3_MAX_REF;
                for (int a = 0; a < s.nref[z]; ++a) {
                    double row = 0.0, drow = 0.0;
                    for (int b = 0; b < s.nref[zj]; ++b) {
                        row += gws[D3_MAX_REF * (size_t)j + b] * ref[a * D3_MAX_REF + b];
                        drow += dgws[D3_MAX_REF * (size_t)j + b] * ref[a * D3_MAX_REF + b];
                    }
                    v[((size_t)z * D3_MAX_REF + a) * n + j] = row;
                    dv[((size_t)z * D3_MAX_REF + a) * n + j] = drow;
                }
            }
        }
    }

    // C6 of (i, j0 + jj) and its derivatives by CN_i and CN_j for jj < nj.
    void c6_row(const D3System& s, const CellGrid& g, const double* gws, const double* dgws,
                int i, int j0, int nj, double* __restrict c6, double* __restrict dc6i,
                double* __restrict dc6j) const {
        const int zi = g.species[i];
        const double* gi = gws + D3_MAX_REF * (size_t)i;
        const double* dgi = dgws + D3_MAX_REF * (size_t)i;
        if (!folded) {
            for (int jj = 0; jj < nj; ++jj) {
                const int j = j0 + jj, zj = g.species[j];
                d3_pair_c6(s.c6ref + ((size_t)zi * ns + zj) * D3_MAX_REF * D3_MAX_REF, s.nref[zi],
                           s.nref[zj], gi, dgi, gws + D3_MAX_REF * (size_t)j,
                           dgws + D3_MAX_REF * (size_t)j, &c6[jj], &dc6i[jj], &dc6j[jj]);
            }
            return;
        }
        for (int jj = 0; jj < nj; ++jj) c6[jj] = dc6i[jj] = dc6j[jj] = 0.0;
        for (int a = 0; a < s.nref[zi]; ++a) {
            const double ga = gi[a], dga = dgi[a];
            const double* __restrict va = &v[((size_t)zi * D3_MAX_REF + a) * n + j0];
            const double* __restrict dva = &dv[((size_t)zi * D3_MAX_REF + a) * n + j0];
#pragma omp simd
            for (int jj = 0; jj < nj; ++jj) {
                c6[jj] += ga * va[jj];
                dc6i[jj] += dga * va[jj];
                dc6j[jj] += ga * dva[jj];
            }
        }
    }
};

// ---------------------------------------------------------------------------------------
// Cell-list passes (cell_mode 1). Accumulators live in sorted order (gradients as x, y, z
// rows of N); results are written back in the caller's atom order.

// Coordination-number counts of one home atom against one neighbour sub-cell over all the
// translations of its blocks, eight neighbours at a time (as bj_group).
__attribute__((noinline)) void cn_group(int nj, int jself, const Block* q0, const Block* q1,
                                        double xi, double yi, double zi, const double* xj,
                                        const double* yj, const double* zj, const double* rc,
                                        double rc2, double* cnt_out) {
    const vl8 lane = {0, 1, 2, 3, 4, 5, 6, 7};
    for (int jc = 0; jc < nj; jc += 8) {
        const vd8 x0 = xi - load8(xj + jc), y0 = yi - load8(yj + jc), z0 = zi - load8(zj + jc);
        const vd8 rcv = load8(rc + jc);
        const vl8 live = lane < (long long)(nj - jc);
        const vl8 below = lane < (long long)(jself - jc);
        vd8 cnt = {};
        for (const Block* q = q0; q < q1; ++q) {
            const vd8 vx = x0 - q->tx, vy = y0 - q->ty, vz = z0 - q->tz;
            const vd8 r2raw = vx * vx + vy * vy + vz * vz;
            const vl8 pair = q->self ? below : live;
            const vl8 in = (r2raw <= rc2) & (r2raw >= D3_CN_SELF_EPS) & pair;
            cnt += select8(in, d3_count(rcv, blend8(in, r2raw, splat8(rc2))));
            // coincident distinct atoms (d3_cn_images); the self block's own atom is not in
            // `below`, and another block's images are >= 0.1 Å away in a checked cell
            cnt += select8((r2raw < D3_CN_SELF_EPS) & pair, splat8(NAN));
        }
        store8(cnt_out + jc, cnt);
    }
}

void cells_cn(const D3System& s, const CellGrid& g, int nthreads,
              std::vector<ThreadBuffers>& buf, double* cn) {
    const int n = s.natoms;
    Stencil st;
    st.build(g, s.cn_cutoff);
    SpeciesRows rows;
    rows.build_cn(s, g);
    const double rc2 = s.cn_cutoff * s.cn_cutoff;
    for (auto& b : buf) b.a.assign(n, 0.0);
    const double* X = g.x.data();
    const double* Y = g.y.data();
    const double* Z = g.z.data();
    for_each_cell_block(g, st, s.cn_cutoff, nthreads,
        [&](int tid, int i, const Block* q0, const Block* q1) {
        const int j0 = g.start[q0->b], nj = g.start[q0->b + 1] - j0;
        double* __restrict cnt = buf[tid].acc.data();
        cn_group(nj, i - j0, q0, q1, X[i], Y[i], Z[i], X + j0, Y + j0, Z + j0,
                 &rows.rc[(size_t)g.species[i] * n + j0], rc2, cnt);
        double* __restrict acc = buf[tid].a.data() + j0;
        double si = 0.0;
#pragma omp simd reduction(+ : si)
        for (int jj = 0; jj < nj; ++jj) {
            si += cnt[jj];
            acc[jj] += cnt[jj];
        }
        buf[tid].a[i] += si;
    });
    for (int p = 0; p < n; ++p) {
        double v = 0.0;
        for (auto& b : buf) v += b.a[p];
        cn[g.perm[p]] = v;
    }
}

// Rational damping, hard cutoff, one home atom against one neighbour sub-cell over all the
// translations of its blocks: the hot loop. Eight neighbours at a time stay in registers
// while the translations go by; images outside the cutoff (and, in the home block, the
// pairs j >= i) are masked. Writes e and C6 * g * v per neighbour (arrays padded to a
// multiple of 8 past nj, as are the inputs) and adds the C6-weighted g * v (x) v to sig.
__attribute__((noinline)) void bj_group(
    int nj, int jself, const Block* q0, const Block* q1, double xi, double yi, double zi,
    const double* xj, const double* yj, const double* zj, const double* p6, const double* p8,
    const double* q8, const double* c6, double s6, double rc2, double eps, double* es_out,
    double* gx_out, double* gy_out, double* gz_out, double* sig) {
    const vl8 lane = {0, 1, 2, 3, 4, 5, 6, 7};
    VSums acc = {};  // e and g per group of 8 neighbours, sym over all of them
    for (int jc = 0; jc < nj; jc += 8) {
        const vd8 x0 = xi - load8(xj + jc), y0 = yi - load8(yj + jc), z0 = zi - load8(zj + jc);
        const vd8 a6 = load8(p6 + jc), a8 = load8(p8 + jc), b8 = load8(q8 + jc), c = load8(c6 + jc);
        const vl8 live = lane < (long long)(nj - jc);
        const vl8 below = lane < (long long)(jself - jc);
        acc.e = acc.g[0] = acc.g[1] = acc.g[2] = vd8{};
        for (const Block* q = q0; q < q1; ++q) {
            const vd8 vx = x0 - q->tx, vy = y0 - q->ty, vz = z0 - q->tz;
            const vd8 r2raw = vx * vx + vy * vy + vz * vz;
            const vl8 in = (r2raw <= rc2) & (r2raw >= eps) & (q->self ? below : live);
            vd8 e, g;
            d3_rational(blend8(in, r2raw, splat8(rc2)), a6, a8, s6, b8, &e, &g);
            acc.add(select8(in, e), select8(in, c * g), vx, vy, vz);
        }
        store8(es_out + jc, acc.e);
        store8(gx_out + jc, acc.g[0]);
        store8(gy_out + jc, acc.g[1]);
        store8(gz_out + jc, acc.g[2]);
    }
    for (int c = 0; c < 6; ++c) sig[c] += hsum8(acc.sym[c]);
}

// Any damping and the smooth cutoff, scalar: same outputs as bj_group.
void any_group(const D3System& s, const std::vector<D3PairConst>& pk, const CellGrid& g,
               int nj, int i, int j0, const Block* q0, const Block* q1, const double* c6,
               double* es, double* gx, double* gy, double* gz, double* sig) {
    const double rc2 = s.cutoff * s.cutoff;
    const bool smooth = d3_smooth_cutoff(s);
    const D3PairConst* pki = &pk[(size_t)g.species[i] * s.nspecies];
    for (int jj = 0; jj < nj; ++jj) es[jj] = gx[jj] = gy[jj] = gz[jj] = 0.0;
    for (const Block* q = q0; q < q1; ++q) {
        const int jend = q->self ? i - j0 : nj;
        const double dx = g.x[i] - q->tx, dy = g.y[i] - q->ty, dz = g.z[i] - q->tz;
        for (int jj = 0; jj < jend; ++jj) {
            const double vx = dx - g.x[j0 + jj], vy = dy - g.y[j0 + jj], vz = dz - g.z[j0 + jj];
            const double r2 = vx * vx + vy * vy + vz * vz;
            if (r2 > rc2 || r2 < D3_EPS) continue;
            double e, gg;
            d3_damped_switched(s, pki[g.species[j0 + jj]], r2, smooth, &e, &gg);
            es[jj] += e;
            const double gc = c6[jj] * gg;
            gx[jj] += gc * vx; gy[jj] += gc * vy; gz[jj] += gc * vz;
            sig[0] += gc * vx * vx; sig[1] += gc * vy * vy; sig[2] += gc * vz * vz;
            sig[3] += gc * vy * vz; sig[4] += gc * vx * vz; sig[5] += gc * vx * vy;
        }
    }
}

void cells_dispersion(const D3System& s, const CellGrid& g, int nthreads,
                      std::vector<ThreadBuffers>& buf, const double* gws, const double* dgws,
                      const std::vector<D3PairConst>& pk, double* energy, double* grad,
                      double* sigma, double* dEdcn) {
    const int n = s.natoms;
    Stencil st;
    st.build(g, s.cutoff);
    SpeciesRows rows;
    rows.build_dispersion(s, g, pk, gws, dgws);
    const double rc2 = s.cutoff * s.cutoff;
    const bool fast_bj = s.damping == D3_RATIONAL && !d3_smooth_cutoff(s);
    clear_buffers(buf, n, true);  // gradient c as rows x, y, z
    const double* X = g.x.data();
    const double* Y = g.y.data();
    const double* Z = g.z.data();
    const int mpop = scratch_stride(g);
    for_each_cell_block(g, st, s.cutoff, nthreads,
        [&](int tid, int i, const Block* q0, const Block* q1) {
        const int j0 = g.start[q0->b], nj = g.start[q0->b + 1] - j0;
        const int zi = g.species[i];
        double* __restrict es = buf[tid].acc.data();
        double* __restrict gx = es + mpop;
        double* __restrict gy = gx + mpop;
        double* __restrict gz = gy + mpop;
        double* __restrict c6 = gz + mpop;
        double* __restrict dc6i = c6 + mpop;
        double* __restrict dc6j = dc6i + mpop;
        rows.c6_row(s, g, gws, dgws, i, j0, nj, c6, dc6i, dc6j);
        // C6-weighted g * v (x) v: xx yy zz yz xz xy
        double sig[6] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
        const size_t row = (size_t)zi * n + j0;
        if (fast_bj)
            bj_group(nj, i - j0, q0, q1, X[i], Y[i], Z[i], X + j0, Y + j0, Z + j0, &rows.p6[row],
                     &rows.p8[row], &rows.q8[row], c6, s.s6, rc2, D3_EPS, es, gx, gy, gz, sig);
        else
            any_group(s, pk, g, nj, i, j0, q0, q1, c6, es, gx, gy, gz, sig);
        // each unordered pair image once: half the energy to each atom, the full virial
        ThreadBuffers& tb = buf[tid];
        double* __restrict ej = tb.a.data() + j0;
        double* __restrict dj = tb.b.data() + j0;
        double* __restrict fxj = tb.c.data() + j0;
        double* __restrict fyj = fxj + n;
        double* __restrict fzj = fyj + n;
        double ei = 0.0, di = 0.0, fx = 0.0, fy = 0.0, fz = 0.0;
#pragma omp simd reduction(+ : ei, di, fx, fy, fz)
        for (int jj = 0; jj < nj; ++jj) {
            const double half = -0.5 * c6[jj] * es[jj];
            ei += half;
            ej[jj] += half;
            di -= dc6i[jj] * es[jj];
            dj[jj] -= dc6j[jj] * es[jj];
            fx -= gx[jj]; fy -= gy[jj]; fz -= gz[jj];
            fxj[jj] += gx[jj]; fyj[jj] += gy[jj]; fzj[jj] += gz[jj];
        }
        tb.a[i] += ei;
        tb.b[i] += di;
        tb.c[i] += fx; tb.c[n + i] += fy; tb.c[2 * (size_t)n + i] += fz;
        d3_add_sym(tb.sigma, -1.0, sig, PlainAdd());
    });
    for (int p = 0; p < n; ++p) {
        const int i = g.perm[p];
        double e = 0.0, d = 0.0, f[3] = {0.0, 0.0, 0.0};
        for (auto& b : buf) {
            e += b.a[p];
            d += b.b[p];
            for (int c = 0; c < 3; ++c) f[c] += b.c[(size_t)c * n + p];
        }
        energy[i] = e;
        dEdcn[i] = d;
        for (int c = 0; c < 3; ++c) grad[3 * i + c] = f[c];
    }
    add_thread_sigma(buf, sigma);
}

// CN chain rule of one home atom against one neighbour sub-cell over all the translations
// of its blocks (as bj_group): de * dcount/dr * v / r per neighbour, and its v (x) v in sig.
__attribute__((noinline)) void chain_group(
    int nj, int jself, const Block* q0, const Block* q1, double xi, double yi, double zi,
    const double* xj, const double* yj, const double* zj, const double* rc, const double* de,
    double rc2, double* gx_out, double* gy_out, double* gz_out, double* sig) {
    const vl8 lane = {0, 1, 2, 3, 4, 5, 6, 7};
    VSums acc = {};  // g per group of 8 neighbours, sym over all of them
    for (int jc = 0; jc < nj; jc += 8) {
        const vd8 x0 = xi - load8(xj + jc), y0 = yi - load8(yj + jc), z0 = zi - load8(zj + jc);
        const vd8 rcv = load8(rc + jc), dev = load8(de + jc);
        const vl8 live = lane < (long long)(nj - jc);
        const vl8 below = lane < (long long)(jself - jc);
        acc.g[0] = acc.g[1] = acc.g[2] = vd8{};
        for (const Block* q = q0; q < q1; ++q) {
            const vd8 vx = x0 - q->tx, vy = y0 - q->ty, vz = z0 - q->tz;
            const vd8 r2raw = vx * vx + vy * vy + vz * vz;
            const vl8 in = (r2raw <= rc2) & (r2raw >= D3_CN_SELF_EPS) & (q->self ? below : live);
            const vd8 g = d3_dcount_over_r(rcv, blend8(in, r2raw, splat8(rc2)));
            acc.add_g(select8(in, dev * g), vx, vy, vz);
        }
        store8(gx_out + jc, acc.g[0]);
        store8(gy_out + jc, acc.g[1]);
        store8(gz_out + jc, acc.g[2]);
    }
    for (int c = 0; c < 6; ++c) sig[c] += hsum8(acc.sym[c]);
}

void cells_cn_chain(const D3System& s, const CellGrid& g, int nthreads,
                    std::vector<ThreadBuffers>& buf, const double* dEdcn, double* grad,
                    double* sigma) {
    const int n = s.natoms;
    Stencil st;
    st.build(g, s.cn_cutoff);
    SpeciesRows rows;
    rows.build_cn(s, g);
    const double rc2 = s.cn_cutoff * s.cn_cutoff;
    std::vector<double> des(n);
    for (int p = 0; p < n; ++p) des[p] = dEdcn[g.perm[p]];
    clear_buffers(buf, n, false);
    const double* X = g.x.data();
    const double* Y = g.y.data();
    const double* Z = g.z.data();
    const int mpop = scratch_stride(g);
    for_each_cell_block(g, st, s.cn_cutoff, nthreads,
        [&](int tid, int i, const Block* q0, const Block* q1) {
        const int j0 = g.start[q0->b], nj = g.start[q0->b + 1] - j0;
        double* __restrict gx = buf[tid].acc.data();
        double* __restrict gy = gx + mpop;
        double* __restrict gz = gy + mpop;
        double* __restrict de = gz + mpop;
        const double* rc = &rows.rc[(size_t)g.species[i] * n + j0];
        for (int jj = 0; jj < nj; ++jj) {
            de[jj] = des[i] + des[j0 + jj];
            gx[jj] = gy[jj] = gz[jj] = 0.0;
        }
        double sig[6] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
        chain_group(nj, i - j0, q0, q1, X[i], Y[i], Z[i], X + j0, Y + j0, Z + j0, rc, de, rc2,
                    gx, gy, gz, sig);
        ThreadBuffers& tb = buf[tid];
        double* __restrict fxj = tb.c.data() + j0;
        double* __restrict fyj = fxj + n;
        double* __restrict fzj = fyj + n;
        double fx = 0.0, fy = 0.0, fz = 0.0;
#pragma omp simd reduction(+ : fx, fy, fz)
        for (int jj = 0; jj < nj; ++jj) {
            fx += gx[jj]; fy += gy[jj]; fz += gz[jj];
            fxj[jj] -= gx[jj]; fyj[jj] -= gy[jj]; fzj[jj] -= gz[jj];
        }
        tb.c[i] += fx; tb.c[n + i] += fy; tb.c[2 * (size_t)n + i] += fz;
        d3_add_sym(tb.sigma, 1.0, sig, PlainAdd());
    });
    for (int p = 0; p < n; ++p) {
        const int i = g.perm[p];
        for (int c = 0; c < 3; ++c) {
            double f = 0.0;
            for (auto& b : buf) f += b.c[(size_t)c * n + p];
            grad[3 * i + c] += f;
        }
    }
    add_thread_sigma(buf, sigma);
}

// ---------------------------------------------------------------------------------------
// C6 of a pair from per-atom weights. With few species, sum_b C6ref[a][b] gw_j[b] is
// precomputed for every atom j and every partner species, so that each pair costs nref_i
// multiply-adds instead of nref_i * nref_j.
struct C6Table {
    const D3System* s = nullptr;
    const double* gw = nullptr;
    const double* dgw = nullptr;
    const int* species = nullptr;
    std::vector<double> v, dv;  // [N][nspecies][7]
    bool folded = false;

    void build(const D3System& sys, const int* spec, const double* w, const double* dw) {
        s = &sys;
        species = spec;
        gw = w;
        dgw = dw;
        const int n = sys.natoms, ns = sys.nspecies;
        folded = (double)n * ns * 2 * D3_MAX_REF * sizeof(double) <= 64.0 * 1024 * 1024;
        if (!folded) return;
        v.assign((size_t)n * ns * D3_MAX_REF, 0.0);
        dv.assign((size_t)n * ns * D3_MAX_REF, 0.0);
        for (int j = 0; j < n; ++j) {
            const int zj = spec[j];
            for (int zi = 0; zi < ns; ++zi) {
                const double* ref = sys.c6ref + ((size_t)zi * ns + zj) * D3_MAX_REF * D3_MAX_REF;
                double* out = &v[((size_t)j * ns + zi) * D3_MAX_REF];
                double* dout = &dv[((size_t)j * ns + zi) * D3_MAX_REF];
                for (int a = 0; a < sys.nref[zi]; ++a) {
                    double row = 0.0, drow = 0.0;
                    for (int b = 0; b < sys.nref[zj]; ++b) {
                        row += gw[D3_MAX_REF * j + b] * ref[a * D3_MAX_REF + b];
                        drow += dgw[D3_MAX_REF * j + b] * ref[a * D3_MAX_REF + b];
                    }
                    out[a] = row;
                    dout[a] = drow;
                }
            }
        }
    }

    void pair(int i, int j, double* c6, double* dc6i, double* dc6j) const {
        const int zi = species[i], zj = species[j], ns = s->nspecies;
        if (!folded) {
            d3_pair_c6(s->c6ref + ((size_t)zi * ns + zj) * D3_MAX_REF * D3_MAX_REF, s->nref[zi],
                       s->nref[zj], gw + D3_MAX_REF * (size_t)i, dgw + D3_MAX_REF * (size_t)i,
                       gw + D3_MAX_REF * (size_t)j, dgw + D3_MAX_REF * (size_t)j, c6, dc6i, dc6j);
            return;
        }
        const double* vj = &v[((size_t)j * ns + zi) * D3_MAX_REF];
        const double* dvj = &dv[((size_t)j * ns + zi) * D3_MAX_REF];
        const double* gi = gw + D3_MAX_REF * (size_t)i;
        const double* dgi = dgw + D3_MAX_REF * (size_t)i;
        double c = 0.0, di = 0.0, dj = 0.0;
        for (int a = 0; a < s->nref[zi]; ++a) {
            c += gi[a] * vj[a];
            di += dgi[a] * vj[a];
            dj += gi[a] * dvj[a];
        }
        *c6 = c;
        *dc6i = di;
        *dc6j = dj;
    }
};

// All-pairs passes over an explicit translation list (cell_mode 0: molecules, 1D/2D).

void pairs_cn(const D3System& s, int nthreads, std::vector<ThreadBuffers>& buf, double* cn) {
    const int n = s.natoms;
    for (auto& b : buf) b.a.assign(n, 0.0);
    parallel_rows(n, nthreads, [&](int tid, int i) {
        double* acc = buf[tid].a.data();
        for (int j = 0; j <= i; ++j) {
            const double c = d3_cn_images(s, i, j);
            acc[i] += c;
            if (i != j) acc[j] += c;
        }
    });
    for (int i = 0; i < n; ++i) {
        cn[i] = 0.0;
        for (auto& b : buf) cn[i] += b.a[i];
    }
}

void pairs_dispersion(const D3System& s, int nthreads, std::vector<ThreadBuffers>& buf,
                      const C6Table& c6t, const std::vector<D3PairConst>& pk, double* energy,
                      double* grad, double* sigma, double* dEdcn) {
    const int n = s.natoms, ns = s.nspecies;
    clear_buffers(buf, n, true);
    parallel_rows(n, nthreads, [&](int tid, int i) {
        ThreadBuffers& b = buf[tid];
        const int zi = s.species[i];
        for (int j = 0; j <= i; ++j) {
            const D3ImageSums t = d3_dispersion_images(s, pk[(size_t)zi * ns + s.species[j]], i, j);
            if (t.empty()) continue;
            double c6, dc6i, dc6j;
            c6t.pair(i, j, &c6, &dc6i, &dc6j);
            const double half = -0.5 * c6;
            b.a[i] += half * t.e;
            b.b[i] -= dc6i * t.e;
            // i == j: the images T and -T are both in the sum, hence half the weight
            d3_add_sym(b.sigma, (i == j) ? half : 2.0 * half, t.sym, PlainAdd());
            if (i != j) {
                b.a[j] += half * t.e;
                b.b[j] -= dc6j * t.e;
                for (int c = 0; c < 3; ++c) {
                    b.c[3 * i + c] -= c6 * t.g[c];
                    b.c[3 * j + c] += c6 * t.g[c];
                }
            }
        }
    });
    for (int i = 0; i < n; ++i) {
        energy[i] = dEdcn[i] = 0.0;
        for (int c = 0; c < 3; ++c) grad[3 * i + c] = 0.0;
        for (auto& b : buf) {
            energy[i] += b.a[i];
            dEdcn[i] += b.b[i];
            for (int c = 0; c < 3; ++c) grad[3 * i + c] += b.c[3 * (size_t)i + c];
        }
    }
    add_thread_sigma(buf, sigma);
}

void pairs_cn_chain(const D3System& s, int nthreads, std::vector<ThreadBuffers>& buf,
                    const double* dEdcn, double* grad, double* sigma) {
    const int n = s.natoms;
    clear_buffers(buf, n, false);
    parallel_rows(n, nthreads, [&](int tid, int i) {
        ThreadBuffers& b = buf[tid];
        for (int j = 0; j <= i; ++j) {
            const double de = (i == j) ? dEdcn[i] : dEdcn[i] + dEdcn[j];
            const D3ImageSums t = d3_cn_chain_images(s, i, j);
            d3_add_sym(b.sigma, de, t.sym, PlainAdd());
            if (i != j)
                for (int c = 0; c < 3; ++c) {
                    b.c[3 * i + c] += de * t.g[c];
                    b.c[3 * j + c] -= de * t.g[c];
                }
        }
    });
    for (int i = 0; i < 3 * n; ++i)
        for (auto& b : buf) grad[i] += b.c[i];
    add_thread_sigma(buf, sigma);
}

double atoms_per_cell(const D3System& s, double cutoff) {
    const double volume = fabs(s.lat[0] * s.lat[4] * s.lat[8]);
    const double width = cutoff / 4.5;
    return std::min(128.0, std::max(24.0, s.natoms / volume * width * width * width));
}

int compute(const D3System* sys, int nthreads, double* energy, double* grad, double* sigma,
            double* cn_out) {
    const D3System& s = *sys;
    const int n = s.natoms;
    const int hardware = (int)std::max(1u, std::thread::hardware_concurrency());
    if (nthreads <= 0) nthreads = hardware;
    nthreads = std::max(1, std::min(nthreads, n));
    // every thread holds 5 N doubles: more threads than the hardware runs gain nothing, and
    // 10^4 threads on 10^5 atoms would ask for 40 GB (an OOM kill, not an exception)
    const double thread_bytes = 5.0 * 8.0 * n * (double)nthreads;
    if (nthreads > hardware && thread_bytes > 1073741824.0) {
        char msg[256];
        snprintf(msg, sizeof msg, "%d threads would hold %.3g GB of per-thread buffers for %d "
                 "atoms (more threads than the %d hardware threads and over 1 GiB); use fewer",
                 nthreads, thread_bytes / 1e9, n, hardware);
        throw d3abi::invalid_argument(msg);
    }
    std::vector<ThreadBuffers> buf(nthreads);
    const bool cells = s.cell_mode == 1;

    // Each pass has its own cell list (the CN passes' cutoff is far shorter than the
    // dispersion cutoff). Atoms per sub-cell: at least 24 (three groups of 8 neighbours in
    // the vector loops), and sub-cells about a 4.5th of the cutoff wide when that holds more,
    // up to 128 atoms: per-atom pruning of the blocks keeps the pair images visited near
    // those within the cutoff, while larger sub-cells cut the per-pair and per-block work.
    // Measured on liquid-electrolyte boxes at 50.2/20 A: 1.2x (1k atoms) to 1.4x (9k atoms)
    // faster than 24-atom sub-cells for the dispersion pass, and 24 best for the CN passes.
    CellGrid grid, grid_cn;
    if (cells) {
        grid.build(s, atoms_per_cell(s, s.cutoff));
        grid_cn.build(s, atoms_per_cell(s, s.cn_cutoff));
        const int mpop = std::max(scratch_stride(grid), scratch_stride(grid_cn));
        for (auto& b : buf) {
            b.acc.assign(8 * (size_t)mpop, 0.0);
        }
    }

    // ---- pass 1: coordination numbers ------------------------------------------------
    std::vector<double> cn(n, 0.0);
    if (cells)
        cells_cn(s, grid_cn, nthreads, buf, cn.data());
    else
        pairs_cn(s, nthreads, buf, cn.data());
    if (cn_out)
        for (int i = 0; i < n; ++i) cn_out[i] = cn[i];

    std::vector<double> gw((size_t)n * D3_MAX_REF), dgw((size_t)n * D3_MAX_REF);
    for (int i = 0; i < n; ++i) {
        const int z = s.species[i];
        d3_weights(s.nref[z], s.cnref + D3_MAX_REF * z, cn[i], &gw[(size_t)D3_MAX_REF * i],
                   &dgw[(size_t)D3_MAX_REF * i]);
    }

    const int ns = s.nspecies;
    std::vector<D3PairConst> pk((size_t)ns * ns);
    for (int a = 0; a < ns; ++a)
        for (int b = 0; b < ns; ++b) pk[(size_t)a * ns + b] = d3_pair_const(s, a, b);

    // ---- pass 2: energy, direct gradient, virial, dE/dCN ---------------------------
    std::vector<double> dEdcn(n, 0.0);
    for (int i = 0; i < n; ++i) energy[i] = 0.0;
    for (int i = 0; i < 3 * n; ++i) grad[i] = 0.0;
    for (int c = 0; c < 9; ++c) sigma[c] = 0.0;
    if (d3_has_two_body(s)) {
        if (cells) {
            std::vector<double> gws((size_t)n * D3_MAX_REF), dgws((size_t)n * D3_MAX_REF);
            for (int p = 0; p < n; ++p)
                for (int a = 0; a < D3_MAX_REF; ++a) {
                    gws[(size_t)D3_MAX_REF * p + a] = gw[(size_t)D3_MAX_REF * grid.perm[p] + a];
                    dgws[(size_t)D3_MAX_REF * p + a] = dgw[(size_t)D3_MAX_REF * grid.perm[p] + a];
                }
            cells_dispersion(s, grid, nthreads, buf, gws.data(), dgws.data(), pk, energy, grad,
                             sigma, dEdcn.data());
        } else {
            C6Table c6t;
            c6t.build(s, s.species, gw.data(), dgw.data());
            pairs_dispersion(s, nthreads, buf, c6t, pk, energy, grad, sigma, dEdcn.data());
        }
    }
    if (d3_has_atm(s)) {
        clear_buffers(buf, n, true);
        parallel_rows(n, nthreads, [&](int tid, int i) {
            ThreadBuffers& b = buf[tid];
            D3AtmOwn own = {};
            d3_atm_row(s, i, 0, 1, gw.data(), dgw.data(), b.a.data(), b.b.data(), b.c.data(),
                       own, PlainAdd());
            b.a[i] += own.energy;
            b.b[i] += own.dEdcn;
            for (int c = 0; c < 3; ++c) b.c[3 * (size_t)i + c] += own.grad[c];
            for (int c = 0; c < 9; ++c) b.sigma[c] += own.sigma[c];
        });
        for (auto& b : buf) {
            for (int i = 0; i < n; ++i) {
                energy[i] += b.a[i];
                dEdcn[i] += b.b[i];
            }
            for (int i = 0; i < 3 * n; ++i) grad[i] += b.c[i];
        }
        add_thread_sigma(buf, sigma);
    }

    // the tail's share of dE/dCN (d3_math.h); its energy is the caller's
    if (d3_has_tail(s)) {
        std::vector<double> wsum((size_t)ns * D3_MAX_REF), w(D3_MAX_REF);
        for (int z = 0; z < ns; ++z) {
            d3_tail_weight_sums(s, gw.data(), z, 0, 1, w.data());
            std::copy(w.begin(), w.end(), wsum.begin() + (size_t)D3_MAX_REF * z);
        }
        for (int i = 0; i < n; ++i)
            dEdcn[i] += d3_tail_dcn(s, wsum.data(), i, &dgw[(size_t)D3_MAX_REF * i]);
    }

    // ---- pass 3: CN chain rule --------------------------------------------------------
    if (cells)
        cells_cn_chain(s, grid_cn, nthreads, buf, dEdcn.data(), grad, sigma);
    else
        pairs_cn_chain(s, nthreads, buf, dEdcn.data(), grad, sigma);
    return (int)D3_OK;
}

}  // namespace

extern "C" {

int d3_cpu_compute(const D3System* sys, int nthreads, double* energy, double* grad,
                   double* sigma, double* cn_out, char* err, int errlen) {
    return d3abi::guard("the D3 CPU kernel", err, errlen, [&] {
        if (!sys || !energy || !grad || !sigma)
            throw d3abi::invalid_argument("NULL system or output pointer");
        d3abi::check_system(*sys, true);
        return compute(sys, nthreads, energy, grad, sigma, cn_out);
    });
}

// The CUDA entry points of a library built without CUDA: a caller that reaches them gets a
// clear status instead of a missing symbol.
static int no_cuda(char* err, int errlen) {
    return d3abi::fail(err, errlen, D3_NO_CUDA,
                       "this D3 library was built without CUDA (the CPU kernel); use "
                       "device='cpu' or build the CUDA kernel with nvcc");
}

int d3_cuda_compute(const D3System*, int, void*, double*, double*, double*, double*, char* err,
                    int errlen) {
    return no_cuda(err, errlen);
}

int d3_cuda_device_count(int* count, char* err, int errlen) {
    if (count) *count = 0;
    return no_cuda(err, errlen);
}

int d3_cuda_release(char* err, int errlen) { return no_cuda(err, errlen); }

int d3_cuda_visit_model(const D3System*, long long*, char* err, int errlen) {
    return no_cuda(err, errlen);
}

}  // extern "C"
