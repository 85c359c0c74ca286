// Multithreaded CPU kernel of DFT-D3 (std::thread), called from Python through ctypes.
//
// Three passes over atom pairs j <= i (and their periodic images), none of which stores
// anything of size N x N or N x neighbours:
//   1. coordination numbers;
//   2. two-body energy, direct gradient and virial, and dE/dCN_i (C6 rebuilt per pair
//      from per-atom Gaussian weights), plus the ATM term when requested;
//   3. the CN chain rule, dE/dCN_i * dCN_i/dr, over the CN pairs again.
// Each thread accumulates into its own O(N) buffers, reduced at the end in double.
#include <algorithm>
#include <array>
#include <atomic>
#include <thread>
#include <vector>

#include "d3_math.h"

namespace {

struct ThreadBuffers {
    std::vector<double> a, b, c;  // per-pass scratch: [N], [N], [3N]
    double sigma[9];
};

template <class Body>
void parallel_rows(int natoms, int nthreads, Body&& body) {
    std::atomic<int> next(0);
    // rows are handed out from the longest (i = N-1 has N partners) in small chunks
    const int chunk = 8;
    auto worker = [&](int tid) {
        for (;;) {
            const int start = next.fetch_add(chunk);
            if (start >= natoms) break;
            const int stop = std::min(natoms, start + chunk);
            for (int r = start; r < stop; ++r) body(tid, natoms - 1 - r);
        }
    };
    if (nthreads <= 1) {
        worker(0);
        return;
    }
    std::vector<std::thread> pool;
    for (int t = 0; t < nthreads; ++t) pool.emplace_back(worker, t);
    for (auto& th : pool) th.join();
}


// Lattice translations sorted by length, for cells given in lower-triangular form. A pair
// vector is first wrapped into the cell (|w| <= rwrap), so only translations with
// |T| <= cutoff + |w| can reach it: one contiguous, vectorisable loop per pair instead of
// a plane-by-plane walk with per-row square roots and divisions.
struct Translations {
    std::vector<double> x, y, z, norm;
    double rwrap = 0.0;
    void build(const D3System& s, double cutoff) {
        const double ax = s.lat[0], by = s.lat[4], cz = s.lat[8];
        rwrap = 0.5 * sqrt(ax * ax + by * by + cz * cz) * (1.0 + 1e-12);
        const double r = cutoff + rwrap;
        std::vector<std::array<double, 4>> t;
        d3_for_each_image(s, 0.0, 0.0, 0.0, r * r, -1.0, [&](double vx, double vy, double vz, double r2) {
            t.push_back({-vx, -vy, -vz, sqrt(r2)});
        });
        std::sort(t.begin(), t.end(), [](const auto& p, const auto& q) { return p[3] < q[3]; });
        for (const auto& p : t) {
            x.push_back(p[0]); y.push_back(p[1]); z.push_back(p[2]); norm.push_back(p[3]);
        }
    }
    // number of leading translations that can lie within `cutoff` of a wrapped vector of length w
    int count(double cutoff, double w) const {
        return (int)(std::upper_bound(norm.begin(), norm.end(), cutoff + w + 1e-9) - norm.begin());
    }
};

inline void wrap(const D3System& s, double& dx, double& dy, double& dz) {
    const double nc = nearbyint(dz / s.lat[8]);
    dx -= nc * s.lat[6]; dy -= nc * s.lat[7]; dz -= nc * s.lat[8];
    const double nb = nearbyint(dy / s.lat[4]);
    dx -= nb * s.lat[3]; dy -= nb * s.lat[4];
    const double na = nearbyint(dx / s.lat[0]);
    dx -= na * s.lat[0];
}

struct PairSums {
    double es, gx, gy, gz, sxx, syy, szz, syz, sxz, sxy;
};

// Rational (BJ) damping summed over the images of one pair, hard cutoff: the hot loop.
inline PairSums bj_pair_sums(const D3System& s, const D3PairConst& k, const Translations& tr,
                             int nt, double dx, double dy, double dz, double rc2, double eps) {
    double es = 0, gx = 0, gy = 0, gz = 0, sxx = 0, syy = 0, szz = 0, syz = 0, sxz = 0, sxy = 0;
    const double* tx = tr.x.data();
    const double* ty = tr.y.data();
    const double* tz = tr.z.data();
    const double s6 = s.s6, s8 = s.s8 * k.rrij, p6 = k.p0, p8 = k.p1;
#pragma omp simd reduction(+ : es, gx, gy, gz, sxx, syy, szz, syz, sxz, sxy)
    for (int t = 0; t < nt; ++t) {
        const double vx = dx - tx[t], vy = dy - ty[t], vz = dz - tz[t];
        const double r2raw = vx * vx + vy * vy + vz * vz;
        const bool in = (r2raw <= rc2) && (r2raw >= eps);
        const double m = in ? 1.0 : 0.0;
        const double r2 = in ? r2raw : rc2;
        const double r4 = r2 * r2;
        const double t6 = 1.0 / (r4 * r2 + p6);
        const double t8 = 1.0 / (r4 * r4 + p8);
        const double e = m * (s6 * t6 + s8 * t8);
        const double g = m * (-6.0 * r4 * t6 * t6 * s6 - 8.0 * r4 * r2 * t8 * t8 * s8);
        es += e;
        gx += g * vx; gy += g * vy; gz += g * vz;
        sxx += g * vx * vx; syy += g * vy * vy; szz += g * vz * vz;
        syz += g * vy * vz; sxz += g * vx * vz; sxy += g * vx * vy;
    }
    return {es, gx, gy, gz, sxx, syy, szz, syz, sxz, sxy};
}

// Any damping (and the smooth cutoff) over the same translation table, scalar.
template <class F>
inline void for_each_table_image(const Translations& tr, int nt, double dx, double dy, double dz,
                                 double rc2, double eps, F&& f) {
    for (int t = 0; t < nt; ++t) {
        const double vx = dx - tr.x[t], vy = dy - tr.y[t], vz = dz - tr.z[t];
        const double r2 = vx * vx + vy * vy + vz * vz;
        if (r2 > rc2 || r2 < eps) continue;
        f(vx, vy, vz, r2);
    }
}

// Images of j around i: through the sorted table for triangular cells, else the
// explicit translation list of d3_for_each_image.
template <class F>
inline void images(const D3System& s, const Translations& tr, double cutoff, const double* xi,
                   const double* xj, double eps, F&& f) {
    double dx = xi[0] - xj[0], dy = xi[1] - xj[1], dz = xi[2] - xj[2];
    const double rc2 = cutoff * cutoff;
    if (s.cell_mode == 1) {
        wrap(s, dx, dy, dz);
        const int nt = tr.count(cutoff, sqrt(dx * dx + dy * dy + dz * dz));
        for_each_table_image(tr, nt, dx, dy, dz, rc2, eps, f);
    } else {
        d3_for_each_image(s, dx, dy, dz, rc2, eps, f);
    }
}

}  // namespace

extern "C" {

int d3_cpu_compute(const D3System* sys, int nthreads, double* energy, double* grad,
                   double* sigma, double* cn_out) {
    const D3System& s = *sys;
    const int n = s.natoms;
    if (nthreads <= 0) nthreads = (int)std::max(1u, std::thread::hardware_concurrency());
    nthreads = std::max(1, std::min(nthreads, n));
    std::vector<ThreadBuffers> buf(nthreads);

    // ---- pass 1: coordination numbers ------------------------------------------------
    Translations tr_cn, tr_disp;
    if (s.cell_mode == 1) {
        tr_cn.build(s, s.cn_cutoff);
        tr_disp.build(s, s.cutoff);
    }
    for (auto& b : buf) b.a.assign(n, 0.0);
    parallel_rows(n, nthreads, [&](int tid, int i) {
        double* cn = buf[tid].a.data();
        const int zi = s.species[i];
        const double* xi = s.xyz + 3 * i;
        for (int j = 0; j <= i; ++j) {
            const double rc = s.rcov[zi] + s.rcov[s.species[j]];
            const double* xj = s.xyz + 3 * j;
            double acc = 0.0;
            images(s, tr_cn, s.cn_cutoff, xi, xj, 1e-12,
                   [&](double, double, double, double r2) { acc += d3_count(rc, sqrt(r2)); });
            cn[i] += acc;
            if (i != j) cn[j] += acc;
        }
    });
    std::vector<double> cn(n, 0.0);
    for (auto& b : buf)
        for (int i = 0; i < n; ++i) cn[i] += b.a[i];
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
    const double rc2 = s.cutoff * s.cutoff;
    const double eps = 2.220446049250313e-16;
    const bool smooth = s.width > 0.0 && s.width < s.cutoff;
    const bool fast_bj = s.cell_mode == 1 && s.damping == D3_RATIONAL && !smooth;
    for (auto& b : buf) {
        b.a.assign(n, 0.0);      // energy
        b.b.assign(n, 0.0);      // dE/dCN
        b.c.assign(3 * (size_t)n, 0.0);  // gradient
        std::fill(b.sigma, b.sigma + 9, 0.0);
    }
    const bool two_body = !(fabs(s.s6) < eps && fabs(s.s8) < eps && (s.damping != D3_CSO || fabs(s.a1) < eps));
    if (two_body) {
        parallel_rows(n, nthreads, [&](int tid, int i) {
            ThreadBuffers& b = buf[tid];
            const int zi = s.species[i];
            const double* xi = s.xyz + 3 * i;
            for (int j = 0; j <= i; ++j) {
                const int zj = s.species[j];
                const double* xj = s.xyz + 3 * j;
                const D3PairConst k = pk[(size_t)zi * ns + zj];
                double es = 0.0, gx = 0.0, gy = 0.0, gz = 0.0;
                double sxx = 0.0, syy = 0.0, szz = 0.0, syz = 0.0, sxz = 0.0, sxy = 0.0;
                if (fast_bj) {
                    double dx = xi[0] - xj[0], dy = xi[1] - xj[1], dz = xi[2] - xj[2];
                    wrap(s, dx, dy, dz);
                    const int nt = tr_disp.count(s.cutoff, sqrt(dx * dx + dy * dy + dz * dz));
                    const PairSums p = bj_pair_sums(s, k, tr_disp, nt, dx, dy, dz, rc2, eps);
                    es = p.es; gx = p.gx; gy = p.gy; gz = p.gz; sxx = p.sxx; syy = p.syy;
                    szz = p.szz; syz = p.syz; sxz = p.sxz; sxy = p.sxy;
                } else
                images(s, tr_disp, s.cutoff, xi, xj, eps,
                    [&](double vx, double vy, double vz, double r2) {
                        double e, g;
                        d3_damped(s, k, r2, &e, &g);
                        if (smooth) {
                            const double r1 = sqrt(r2);
                            double sw, dsw;
                            d3_switch(r1, s.cutoff, s.width, &sw, &dsw);
                            g = sw * g + dsw * e / r1;
                            e = sw * e;
                        }
                        es += e;
                        gx += g * vx; gy += g * vy; gz += g * vz;
                        sxx += g * vx * vx; syy += g * vy * vy; szz += g * vz * vz;
                        syz += g * vy * vz; sxz += g * vx * vz; sxy += g * vx * vy;
                    });
                if (es == 0.0 && gx == 0.0 && gy == 0.0 && gz == 0.0 && sxx == 0.0) continue;
                double c6, dc6i, dc6j;
                d3_pair_c6(s.c6ref + ((size_t)zi * ns + zj) * D3_MAX_REF * D3_MAX_REF,
                           s.nref[zi], s.nref[zj], &gw[(size_t)D3_MAX_REF * i],
                           &dgw[(size_t)D3_MAX_REF * i], &gw[(size_t)D3_MAX_REF * j],
                           &dgw[(size_t)D3_MAX_REF * j], &c6, &dc6i, &dc6j);
                const double half = -0.5 * c6;
                b.a[i] += half * es;
                b.b[i] -= dc6i * es;
                // virial: 0.5 * dG (x) vec per image, counted for both atoms of a pair
                const double w = (i == j) ? half : 2.0 * half;
                b.sigma[0] += w * sxx; b.sigma[4] += w * syy; b.sigma[8] += w * szz;
                b.sigma[5] += w * syz; b.sigma[7] += w * syz;
                b.sigma[2] += w * sxz; b.sigma[6] += w * sxz;
                b.sigma[1] += w * sxy; b.sigma[3] += w * sxy;
                if (i != j) {
                    b.a[j] += half * es;
                    b.b[j] -= dc6j * es;
                    b.c[3 * i] -= c6 * gx; b.c[3 * i + 1] -= c6 * gy; b.c[3 * i + 2] -= c6 * gz;
                    b.c[3 * j] += c6 * gx; b.c[3 * j + 1] += c6 * gy; b.c[3 * j + 2] += c6 * gz;
                }
            }
        });
    }
    if (s.atm && fabs(s.s9) >= eps) {
        parallel_rows(n, nthreads, [&](int tid, int i) {
            ThreadBuffers& b = buf[tid];
            d3_atm_row(s, i, gw.data(), dgw.data(), b.a.data(), b.b.data(), b.c.data(),
                       b.sigma, [](double* p, double v) { *p += v; });
        });
    }
    std::vector<double> dEdcn(n, 0.0);
    for (int i = 0; i < n; ++i) energy[i] = 0.0;
    for (int i = 0; i < 3 * n; ++i) grad[i] = 0.0;
    for (int c = 0; c < 9; ++c) sigma[c] = 0.0;
    for (auto& b : buf) {
        for (int i = 0; i < n; ++i) {
            energy[i] += b.a[i];
            dEdcn[i] += b.b[i];
        }
        for (int i = 0; i < 3 * n; ++i) grad[i] += b.c[i];
        for (int c = 0; c < 9; ++c) sigma[c] += b.sigma[c];
    }

    // ---- pass 3: CN chain rule --------------------------------------------------------
    for (auto& b : buf) {
        b.c.assign(3 * (size_t)n, 0.0);
        std::fill(b.sigma, b.sigma + 9, 0.0);
    }
    parallel_rows(n, nthreads, [&](int tid, int i) {
        ThreadBuffers& b = buf[tid];
        const int zi = s.species[i];
        const double* xi = s.xyz + 3 * i;
        for (int j = 0; j <= i; ++j) {
            const double rc = s.rcov[zi] + s.rcov[s.species[j]];
            const double* xj = s.xyz + 3 * j;
            const double de = (i == j) ? dEdcn[i] : dEdcn[i] + dEdcn[j];
            double gx = 0.0, gy = 0.0, gz = 0.0;
            double sxx = 0.0, syy = 0.0, szz = 0.0, syz = 0.0, sxz = 0.0, sxy = 0.0;
            images(s, tr_cn, s.cn_cutoff, xi, xj, 1e-12,
                [&](double vx, double vy, double vz, double r2) {
                    const double r1 = sqrt(r2);
                    const double g = d3_dcount(rc, r1) / r1;
                    gx += g * vx; gy += g * vy; gz += g * vz;
                    sxx += g * vx * vx; syy += g * vy * vy; szz += g * vz * vz;
                    syz += g * vy * vz; sxz += g * vx * vz; sxy += g * vx * vy;
                });
            b.sigma[0] += de * sxx; b.sigma[4] += de * syy; b.sigma[8] += de * szz;
            b.sigma[5] += de * syz; b.sigma[7] += de * syz;
            b.sigma[2] += de * sxz; b.sigma[6] += de * sxz;
            b.sigma[1] += de * sxy; b.sigma[3] += de * sxy;
            if (i != j) {
                b.c[3 * i] += de * gx; b.c[3 * i + 1] += de * gy; b.c[3 * i + 2] += de * gz;
                b.c[3 * j] -= de * gx; b.c[3 * j + 1] -= de * gy; b.c[3 * j + 2] -= de * gz;
            }
        }
    });
    for (auto& b : buf) {
        for (int i = 0; i < 3 * n; ++i) grad[i] += b.c[i];
        for (int c = 0; c < 9; ++c) sigma[c] += b.sigma[c];
    }
    return 0;
}

}  // extern "C"
