// Shared DFT-D3 math for the CPU (g++) and CUDA (nvcc) kernels.
//
// Everything here is a pure function of its arguments so that both kernels evaluate the
// same expressions in the same order; the formulas follow simple-dftd3 (the reference the
// tests compare against): atomic units (bohr, hartree) throughout.
#ifndef ASE_ELECTROLYTE_D3_MATH_H
#define ASE_ELECTROLYTE_D3_MATH_H

#include <math.h>

#include "d3_abi.h"  // struct D3System, enum D3Damping, D3_MAX_REF

#if defined(__CUDACC__)
#define D3_HD __host__ __device__ __forceinline__
#else
#define D3_HD inline
#endif

// Machine epsilon of double: simple-dftd3's threshold below which an image is the atom itself
// (and below which a scaling parameter counts as switched off).
#define D3_EPS 2.220446049250313e-16

// ---------------------------------------------------------------------------------------
// The formulas evaluated per pair image are templates on the scalar type T: double in both
// kernels, and an 8-wide vector of doubles in the CPU kernel's SIMD loops (d3_cpu.cpp), so
// that there is one written form of each. D3Ops<T> gives them exp, the reciprocal and the
// reciprocal square root; d3_cpu.cpp specialises it for its vector type (where division and
// square root are the slowest instructions, it refines hardware estimates to within an ulp
// or two). The arithmetic mixes T with double constants, which GCC/Clang vector types support.
template <class T>
struct D3Ops;

template <>
struct D3Ops<double> {
    static D3_HD double exp(double x) { return ::exp(x); }
    static D3_HD double recip(double x) { return 1.0 / x; }
    static D3_HD double rsqrt(double x) { return 1.0 / ::sqrt(x); }
};

// Coordination number: exponential counting function, k1 = 16, of a pair at squared distance
// r2 with rc = 4/3 (R_cov,i + R_cov,j): count = 1 / (1 + exp(-16 (rc/r - 1))).
template <class T>
D3_HD T d3_count(T rc, T r2) {
    return D3Ops<T>::recip(1.0 + D3Ops<T>::exp(-16.0 * (rc * D3Ops<T>::rsqrt(r2) - 1.0)));
}

// (d count / dr) / r = -16 rc e / (r^3 (1 + e)^2), e = exp(-16 (rc/r - 1)), as a function of r2.
template <class T>
D3_HD T d3_dcount_over_r(T rc, T r2) {
    const T rinv = D3Ops<T>::rsqrt(r2);
    const T e = D3Ops<T>::exp(-16.0 * (rc * rinv - 1.0));
    const T q = D3Ops<T>::recip(1.0 + e);
    return -16.0 * rc * e * (rinv * rinv * rinv) * (q * q);
}

// Rational (Becke-Johnson) damping without C6, from r^2 and the pair constants R^6 = p6,
// R^8 = p8 and s8q = s8 * 3 Q_i Q_j:
//   e = s6 / (r^6 + R^6) + s8q / (r^8 + R^8)     (E_pair = -C6 e),
//   g = (de/dr) / r = -6 s6 r^4 / (r^6 + R^6)^2 - 8 s8q r^6 / (r^8 + R^8)^2.
// One division gives both reciprocals (1/a = b/(ab)): divisions dominate the SIMD loop.
template <class T, class S>
D3_HD void d3_rational(T r2, T p6, T p8, S s6, T s8q, T* e, T* g) {
    const T r4 = r2 * r2;
    const T d6 = r4 * r2 + p6, d8 = r4 * r4 + p8;
    const T inv = D3Ops<T>::recip(d6 * d8);
    const T t6 = d8 * inv, t8 = d6 * inv;
    *e = s6 * t6 + s8q * t8;
    *g = -6.0 * s6 * r4 * t6 * t6 - 8.0 * r4 * r2 * t8 * t8 * s8q;
}

// Gaussian weights of the reference systems of one atom and their CN derivatives, k3 = 4,
// normalised. The largest Gaussian is factored out of numerator and denominator, so the
// denominator is >= 1: far above (or below) every reference CN, where each Gaussian alone
// underflows, the weights and their derivatives stay exact instead of 0/0 or inf/inf
// (simple-dftd3 patches only the NaN case, which leaves infinite or garbage derivatives in
// between). dgw_a = gw_a * 2 wf (cnref_a - <cnref>), <cnref> = sum_b gw_b cnref_b.
D3_HD void d3_weights(int nref, const double* cnref, double cn, double* gw, double* dgw) {
    const double wf = 4.0;
    double top = -HUGE_VAL;
    for (int a = 0; a < nref; ++a) {
        const double d = cn - cnref[a];
        const double t = -wf * d * d;
        if (t > top) top = t;
    }
    double norm = 0.0, dnorm = 0.0;
    for (int a = 0; a < nref; ++a) {
        const double d = cn - cnref[a];
        const double g = exp(-wf * d * d - top);
        norm += g;
        dnorm += 2.0 * wf * (cnref[a] - cn) * g;
    }
    const double inv = 1.0 / norm;
    for (int a = 0; a < nref; ++a) {
        const double d = cn - cnref[a];
        const double expw = exp(-wf * d * d - top);
        const double expd = 2.0 * wf * (cnref[a] - cn) * expw;
        gw[a] = expw * inv;
        dgw[a] = expd * inv - expw * dnorm * inv * inv;
    }
    for (int a = nref; a < D3_MAX_REF; ++a) {
        gw[a] = 0.0;
        dgw[a] = 0.0;
    }
}

// C6 of an atom pair and its derivatives with respect to CN_i and CN_j.
D3_HD void d3_pair_c6(const double* ref, int ni, int nj, const double* gwi, const double* dgwi,
                      const double* gwj, const double* dgwj, double* c6, double* dc6i,
                      double* dc6j) {
    double c = 0.0, di = 0.0, dj = 0.0;
    for (int a = 0; a < ni; ++a) {
        double row = 0.0, drow = 0.0;
        for (int b = 0; b < nj; ++b) {
            const double r = ref[a * D3_MAX_REF + b];
            row += gwj[b] * r;
            drow += dgwj[b] * r;
        }
        c += gwi[a] * row;
        di += dgwi[a] * row;
        dj += gwi[a] * drow;
    }
    *c6 = c;
    *dc6i = di;
    *dc6j = dj;
}

// ---------------------------------------------------------------------------------------
// Smooth polynomial switch over [cutoff - width, cutoff] (simple-dftd3's convention).
D3_HD void d3_switch(double r, double cutoff, double width, double* sw, double* dsw) {
    if (width <= 0.0 || width >= cutoff || r <= cutoff - width) {
        *sw = 1.0;
        *dsw = 0.0;
    } else if (r >= cutoff) {
        *sw = 0.0;
        *dsw = 0.0;
    } else {
        const double x = (cutoff - r) / width;
        *sw = x * x * x * (10.0 + x * (-15.0 + 6.0 * x));
        *dsw = -30.0 * x * x * (1.0 - x) * (1.0 - x) / width;
    }
}

// The smooth switch only applies to a width strictly inside (0, cutoff); testing this once
// lets the hard-cutoff path skip the square root and the switch polynomial.
D3_HD bool d3_smooth_cutoff(const D3System& s) { return s.width > 0.0 && s.width < s.cutoff; }

// Whether the two-body and three-body terms contribute at all (simple-dftd3 skips them then).
D3_HD bool d3_has_two_body(const D3System& s) {
    return !(fabs(s.s6) < D3_EPS && fabs(s.s8) < D3_EPS &&
             (s.damping != D3_CSO || fabs(s.a1) < D3_EPS));
}

D3_HD bool d3_has_atm(const D3System& s) { return s.atm && fabs(s.s9) >= D3_EPS; }

// ---------------------------------------------------------------------------------------
// The homogeneous tail beyond the two-body cutoff (D3System.tail): E_tail =
// sum_i sum_j K(z_i, z_j) C6_ij, j over all atoms (i itself included). With
// W_B[b] = sum of gw_j[b] over the atoms j of species B (d3_tail_weight_sums),
// sum_j K(z_i, z_j) C6_ij = gw_i . R_i with R_i[a] = sum_B K(z_i, B) sum_b
// C6ref(z_i, B)[a][b] W_B[b]. Every pair is in E_tail twice (as i, j and as j, i,
// K symmetric and C6_ij(CN_i, CN_j) = C6_ji(CN_j, CN_i)), hence dE_tail/dCN_i =
// 2 dgw_i . R_i, which d3_tail_dcn gives: O(species x 7 x 7) per atom after one O(N) sum,
// no pair loop.
D3_HD bool d3_has_tail(const D3System& s) { return s.tail != nullptr; }

// Thread t of nt sums gw over the atoms t, t + nt, ... of species z into w[D3_MAX_REF].
D3_HD void d3_tail_weight_sums(const D3System& s, const double* gw, int z, int t, int nt,
                               double* w) {
    for (int b = 0; b < D3_MAX_REF; ++b) w[b] = 0.0;
    for (int j = t; j < s.natoms; j += nt)
        if (s.species[j] == z)
            for (int b = 0; b < D3_MAX_REF; ++b) w[b] += gw[D3_MAX_REF * j + b];
}

// dE_tail/dCN_i from the weight sums wsum [nspecies * D3_MAX_REF] and atom i's dgw.
D3_HD double d3_tail_dcn(const D3System& s, const double* wsum, int i, const double* dgwi) {
    const int ns = s.nspecies, zi = s.species[i];
    double d = 0.0;
    for (int zj = 0; zj < ns; ++zj) {
        const double* ref = s.c6ref + (zi * ns + zj) * D3_MAX_REF * D3_MAX_REF;
        const double* w = wsum + D3_MAX_REF * zj;
        double part = 0.0;
        for (int a = 0; a < s.nref[zi]; ++a) {
            double row = 0.0;
            for (int b = 0; b < s.nref[zj]; ++b) row += ref[a * D3_MAX_REF + b] * w[b];
            part += dgwi[a] * row;
        }
        d += s.tail[zi * ns + zj] * part;
    }
    return 2.0 * d;
}

// Pair constants of the two-body damping that depend only on the species pair.
struct D3PairConst {
    double rrij;   // 3 Q_i Q_j  (C8 = rrij * C6)
    double p0, p1, p2, p3;
};

// DAMP >= 0 fixes the damping at compile time (the GPU kernels instantiate one version per
// damping, so that the registers of the others are not reserved); -1 reads s.damping.
template <int DAMP = -1>
D3_HD D3PairConst d3_pair_const(const D3System& s, int zi, int zj) {
    D3PairConst k;
    k.rrij = 3.0 * s.r4r2[zi] * s.r4r2[zj];
    const double r0 = s.r0ab[zi * s.nspecies + zj];
    switch (DAMP >= 0 ? DAMP : s.damping) {
        case D3_RATIONAL: {
            const double r = s.a1 * sqrt(k.rrij) + s.a2;
            const double r2 = r * r;
            k.p0 = r2 * r2 * r2;  // R^6
            k.p1 = k.p0 * r2;     // R^8
            k.p2 = 0.0;
            k.p3 = 0.0;
            break;
        }
        case D3_ZERO:
            k.p0 = s.rs6 * r0;
            k.p1 = s.rs8 * r0;
            k.p2 = 0.0;
            k.p3 = 0.0;
            break;
        case D3_MZERO:
            k.p0 = 1.0 / (s.rs6 * r0);
            k.p1 = 1.0 / (s.rs8 * r0);
            k.p2 = s.bet * r0;
            k.p3 = r0;
            break;
        case D3_OPTIMIZEDPOWER: {
            const double r = s.a1 * sqrt(k.rrij) + s.a2;
            const double r2 = r * r;
            const double ab = pow(r, s.bet);
            k.p0 = ab * r2 * r2 * r2;
            k.p1 = ab * r2 * r2 * r2 * r2;
            k.p2 = 0.0;
            k.p3 = 0.0;
            break;
        }
        default: {  // D3_CSO
            const double r0c = sqrt(k.rrij);
            const double d6 = s.a3 * r0c + s.a4;
            const double d2 = d6 * d6;
            k.p0 = d2 * d2 * d2;
            k.p1 = s.a2 * r0c;
            k.p2 = 0.0;
            k.p3 = 0.0;
            break;
        }
    }
    return k;
}

// Damped two-body kernel without C6: e such that E_pair = -C6 * e, and g = (de/dr) / r.
template <int DAMP = -1>
D3_HD void d3_damped(const D3System& s, const D3PairConst& k, double r2, double* e, double* g) {
    switch (DAMP >= 0 ? DAMP : s.damping) {
        case D3_RATIONAL:
            d3_rational(r2, k.p0, k.p1, s.s6, s.s8 * k.rrij, e, g);
            break;
        case D3_ZERO: {
            const double r1 = sqrt(r2);
            const double r6 = r2 * r2 * r2, r8 = r6 * r2;
            const double alp6 = s.alp, alp8 = s.alp + 2.0;
            const double t6 = pow(k.p0 / r1, alp6);
            const double t8 = pow(k.p1 / r1, alp8);
            const double f6 = 1.0 / (1.0 + 6.0 * t6);
            const double f8 = 1.0 / (1.0 + 6.0 * t8);
            const double d6 = -6.0 * f6 / r2 + 6.0 * alp6 * t6 * f6 * f6 / r2;
            const double d8 = -8.0 * f8 / r2 + 6.0 * alp8 * t8 * f8 * f8 / r2;
            const double s8 = s.s8 * k.rrij;
            *e = s.s6 * f6 / r6 + s8 * f8 / r8;
            *g = s.s6 * d6 / r6 + s8 * d8 / r8;
            break;
        }
        case D3_MZERO: {
            const double r1 = sqrt(r2);
            const double r6 = r2 * r2 * r2, r8 = r6 * r2;
            const double alp6 = s.alp, alp8 = s.alp + 2.0;
            const double t6 = pow(r1 * k.p0 + k.p2, -alp6);
            const double t8 = pow(r1 * k.p1 + k.p2, -alp8);
            const double f6 = 1.0 / (1.0 + 6.0 * t6);
            const double f8 = 1.0 / (1.0 + 6.0 * t8);
            const double b6 = s.rs6 * s.bet * k.p3 * k.p3;
            const double b8 = s.rs8 * s.bet * k.p3 * k.p3;
            const double d6 = -6.0 * f6 / r2 + 6.0 * alp6 * t6 * f6 * f6 / (r2 + b6 * r1);
            const double d8 = -8.0 * f8 / r2 + 6.0 * alp8 * t8 * f8 * f8 / (r2 + b8 * r1);
            const double s8 = s.s8 * k.rrij;
            *e = s.s6 * f6 / r6 + s8 * f8 / r8;
            *g = s.s6 * d6 / r6 + s8 * d8 / r8;
            break;
        }
        case D3_OPTIMIZEDPOWER: {
            const double rb = pow(r2, 0.5 * s.bet);
            const double r4 = r2 * r2;
            const double t6 = rb / (rb * r4 * r2 + k.p0);
            const double t8 = rb / (rb * r4 * r4 + k.p1);
            const double d6 = -6.0 * r4 * t6 * t6 + s.bet * k.p0 * t6 * t6 / (rb * r2);
            const double d8 = -8.0 * r4 * r2 * t8 * t8 + s.bet * k.p1 * t8 * t8 / (rb * r2);
            const double s8 = s.s8 * k.rrij;
            *e = s.s6 * t6 + s8 * t8;
            *g = s.s6 * d6 + s8 * d8;
            break;
        }
        default: {  // D3_CSO
            const double r1 = sqrt(r2);
            const double ef = exp(r1 - k.p1);
            const double sf = 1.0 / (1.0 + ef);
            const double sig = s.s6 + s.a1 * sf;
            const double r4 = r2 * r2;
            const double t6 = 1.0 / (r4 * r2 + k.p0);
            const double dsig = -s.a1 * sf * (1.0 - sf) / r1;
            const double dt6 = -6.0 * r4 * t6 * t6;
            *e = sig * t6;
            *g = dsig * t6 + sig * dt6;
            break;
        }
    }
}

// d3_damped times the smooth switch when `smooth` (= d3_smooth_cutoff(s)).
template <int DAMP = -1>
D3_HD void d3_damped_switched(const D3System& s, const D3PairConst& k, double r2, bool smooth,
                              double* e, double* g) {
    d3_damped<DAMP>(s, k, r2, e, g);
    if (!smooth) return;
    const double r1 = sqrt(r2);
    double sw, dsw;
    d3_switch(r1, s.cutoff, s.width, &sw, &dsw);
    *g = sw * *g + dsw * *e / r1;
    *e = sw * *e;
}

// ---------------------------------------------------------------------------------------
// Periodic images of atom j seen from atom i: calls f(vx, vy, vz, r2) for every lattice
// translation T with 0 < |d - T|^2 <= rc2 where d = x_i - x_j, i.e. vec = x_i - (x_j + T).
// With a lower-triangular cell the translations are enumerated plane by plane inside the
// sphere, so out-of-range images are never visited (cells far smaller than the cutoff).
// `self_eps` is the squared distance below which an image is the atom itself.
template <class F>
D3_HD void d3_for_each_image(const D3System& s, double dx, double dy, double dz, double rc2,
                             double self_eps, F&& f) {
    if (s.cell_mode == 0) {
        for (int t = 0; t < s.ntrans; ++t) {
            const double vx = dx - s.trans[3 * t];
            const double vy = dy - s.trans[3 * t + 1];
            const double vz = dz - s.trans[3 * t + 2];
            const double r2 = vx * vx + vy * vy + vz * vz;
            if (r2 > rc2 || r2 < self_eps) continue;
            f(vx, vy, vz, r2);
        }
        return;
    }
    const double ax = s.lat[0];
    const double bx = s.lat[3], by = s.lat[4];
    const double cx = s.lat[6], cy = s.lat[7], cz = s.lat[8];
    const double rc = sqrt(rc2);
    // small margins so that rounding never drops an image the r2 test would accept
    const double m = 1e-9;
    const int c_lo = (int)ceil((dz - rc) / cz - m), c_hi = (int)floor((dz + rc) / cz + m);
    for (int nc = c_lo; nc <= c_hi; ++nc) {
        const double vz = dz - nc * cz;
        const double bz = rc2 - vz * vz;
        if (bz < 0.0) continue;
        const double ry = sqrt(bz);
        const double y0 = dy - nc * cy;
        const int b_lo = (int)ceil((y0 - ry) / by - m), b_hi = (int)floor((y0 + ry) / by + m);
        for (int nb = b_lo; nb <= b_hi; ++nb) {
            const double vy = y0 - nb * by;
            const double byz = bz - vy * vy;
            if (byz < 0.0 && byz < -1e-9 * rc2) continue;
            const double rx = sqrt(byz > 0.0 ? byz : 0.0);
            const double x0 = dx - nc * cx - nb * bx;
            const int a_lo = (int)ceil((x0 - rx) / ax - m), a_hi = (int)floor((x0 + rx) / ax + m);
            const double yz2 = vy * vy + vz * vz;
            for (int na = a_lo; na <= a_hi; ++na) {
                const double vx = x0 - na * ax;
                const double r2 = vx * vx + yz2;
                if (r2 > rc2 || r2 < self_eps) continue;
                f(vx, vy, vz, r2);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Sums over the periodic images of one pair (i, j) of a radial term e(r) with g = (de/dr)/r:
// the term, sum_T g v and sum_T g v (x) v (the pair's virial), v = x_i - (x_j + T).
// sym holds the symmetric tensor as xx yy zz yz xz xy. T as for the formulas above.
template <class T>
struct D3ImageSumsT {
    T e;
    T g[3];
    T sym[6];

    D3_HD void add(T ev, T gv, T vx, T vy, T vz) {
        e += ev;
        add_g(gv, vx, vy, vz);
    }

    // a term whose value is not summed (the CN chain rule)
    D3_HD void add_g(T gv, T vx, T vy, T vz) {
        g[0] += gv * vx; g[1] += gv * vy; g[2] += gv * vz;
        sym[0] += gv * vx * vx; sym[1] += gv * vy * vy; sym[2] += gv * vz * vz;
        sym[3] += gv * vy * vz; sym[4] += gv * vx * vz; sym[5] += gv * vx * vy;
    }

    // no image within the cutoff (the pair's C6 need not be formed)
    D3_HD bool empty() const {
        return e == 0.0 && g[0] == 0.0 && g[1] == 0.0 && g[2] == 0.0 && sym[0] == 0.0;
    }
};

typedef D3ImageSumsT<double> D3ImageSums;

// Adds w * t (symmetric, stored as in D3ImageSums::sym) to the row-major 3x3 sigma through
// add(ptr, value): += on the CPU, atomicAdd on the GPU.
template <class Add>
D3_HD void d3_add_sym(double* sigma, double w, const double* t, Add&& add) {
    add(sigma + 0, w * t[0]); add(sigma + 4, w * t[1]); add(sigma + 8, w * t[2]);
    add(sigma + 5, w * t[3]); add(sigma + 7, w * t[3]);
    add(sigma + 2, w * t[4]); add(sigma + 6, w * t[4]);
    add(sigma + 1, w * t[5]); add(sigma + 3, w * t[5]);
}

// Squared distance (bohr^2) below which an image is the atom itself in the CN passes: the
// calculator's smallest accepted distance, 0.1 Å (calculator.MIN_DISTANCE; (0.1 Å / Bohr)^2
// = 0.0357106483, a hair below so that a pair calculate() accepts is never marked). Two
// distinct atoms this close get a NaN count instead of being skipped, so that the result is
// refused (backend.check_finite names them) rather than computed for a structure no liquid
// has (compute_tensor returned -0.06 eV for methanol with C and O 0.05 Å apart) or silently
// missing the pair of a duplicated atom. calculate() refuses them before the kernel;
// compute_tensor cannot look on the host, and refuses cells thinner than 0.1 Å (no atom's
// own image is this close).
#define D3_CN_SELF_EPS 0.03571064

// Coordination-number count of atom j (all images) seen from atom i.
D3_HD double d3_cn_images(const D3System& s, int i, int j) {
    const double rc = s.rcov[s.species[i]] + s.rcov[s.species[j]];
    const double* xi = s.xyz + 3 * i;
    const double* xj = s.xyz + 3 * j;
    double c = 0.0;
    d3_for_each_image(s, xi[0] - xj[0], xi[1] - xj[1], xi[2] - xj[2], s.cn_cutoff * s.cn_cutoff,
                      0.0, [&](double, double, double, double r2) {
        if (!(r2 < D3_CN_SELF_EPS))  // a NaN distance stays NaN, as before
            c += d3_count(rc, r2);
        else if (i != j)
            c = NAN;  // coincident distinct atoms (the cell is >= 0.1 Å thick: no self image)
    });
    return c;
}

// dCN/dr of the pair (i, j) over its images: g = dcount/dr / r (e stays 0).
D3_HD D3ImageSums d3_cn_chain_images(const D3System& s, int i, int j) {
    const double rc = s.rcov[s.species[i]] + s.rcov[s.species[j]];
    const double* xi = s.xyz + 3 * i;
    const double* xj = s.xyz + 3 * j;
    D3ImageSums acc = {};
    d3_for_each_image(s, xi[0] - xj[0], xi[1] - xj[1], xi[2] - xj[2], s.cn_cutoff * s.cn_cutoff,
                      D3_CN_SELF_EPS, [&](double vx, double vy, double vz, double r2) {
        acc.add_g(d3_dcount_over_r(rc, r2), vx, vy, vz);
    });
    return acc;
}

// Damped two-body term of the pair (i, j) without C6 over its images (E = -C6 * e), with
// the smooth switch when the system asks for it; k = d3_pair_const of the pair's species.
D3_HD D3ImageSums d3_dispersion_images(const D3System& s, const D3PairConst& k, int i, int j) {
    const bool smooth = d3_smooth_cutoff(s);
    const double* xi = s.xyz + 3 * i;
    const double* xj = s.xyz + 3 * j;
    D3ImageSums acc = {};
    d3_for_each_image(s, xi[0] - xj[0], xi[1] - xj[1], xi[2] - xj[2], s.cutoff * s.cutoff,
                      D3_EPS, [&](double vx, double vy, double vz, double r2) {
        double e, g;
        d3_damped_switched(s, k, r2, smooth, &e, &g);
        acc.add(e, g, vx, vy, vz);
    });
    return acc;
}

// ---------------------------------------------------------------------------------------
// Axilrod-Teller-Muto three-body term for the triples whose first (largest-index) atom is i
// and whose second atom is one of j = j0, j0 + jstep, ... <= i, enumerated exactly as
// simple-dftd3 does (j <= i, k <= j, images of j and k within the cutoff of i, and j-k within
// the cutoff). C6 of every pair is rebuilt from the weights. The terms of atom i and the
// virial are accumulated in `own` (registers: the caller adds them once), those of j and k
// through `add(ptr, value)` (plain += on the CPU with per-thread buffers, atomicAdd on the
// GPU).
D3_HD double d3_triple_scale(int i, int j, int k) {
    if (i == j) return (i == k) ? 1.0 / 6.0 : 0.5;
    return (i != k && j != k) ? 1.0 : 0.5;
}

struct D3AtmOwn {
    double energy, dEdcn, grad[3], sigma[9];
};

template <class Add>
D3_HD void d3_atm_row(const D3System& s, int i, int j0, int jstep, const double* gw,
                      const double* dgw, double* energy, double* dEdcn, double* grad,
                      D3AtmOwn& own, Add&& add) {
    const double rc2 = s.atm_cutoff * s.atm_cutoff;
    const double eps = D3_EPS;
    const double rs9 = 4.0 / 3.0;
    const double alp3 = (s.alp + 2.0) / 3.0;
    const int zi = s.species[i];
    const double* xi = s.xyz + 3 * i;
    for (int j = j0; j <= i; j += jstep) {
        const int zj = s.species[j];
        const double* xj = s.xyz + 3 * j;
        double c6ij, dij_i, dij_j;
        d3_pair_c6(s.c6ref + (zi * s.nspecies + zj) * D3_MAX_REF * D3_MAX_REF, s.nref[zi],
                   s.nref[zj], gw + D3_MAX_REF * i, dgw + D3_MAX_REF * i, gw + D3_MAX_REF * j,
                   dgw + D3_MAX_REF * j, &c6ij, &dij_i, &dij_j);
        const double r0ij = rs9 * s.r0ab[zi * s.nspecies + zj];
        // vij = x_j + T - x_i = -(x_i - (x_j + T))
        d3_for_each_image(s, xi[0] - xj[0], xi[1] - xj[1], xi[2] - xj[2], rc2, eps,
            [&](double ux, double uy, double uz, double r2ij) {
            const double vij[3] = {-ux, -uy, -uz};
            for (int k = 0; k <= j; ++k) {
                const int zk = s.species[k];
                const double* xk = s.xyz + 3 * k;
                double c6ik, dik_i, dik_k, c6jk, djk_j, djk_k;
                d3_pair_c6(s.c6ref + (zi * s.nspecies + zk) * D3_MAX_REF * D3_MAX_REF,
                           s.nref[zi], s.nref[zk], gw + D3_MAX_REF * i, dgw + D3_MAX_REF * i,
                           gw + D3_MAX_REF * k, dgw + D3_MAX_REF * k, &c6ik, &dik_i, &dik_k);
                d3_pair_c6(s.c6ref + (zj * s.nspecies + zk) * D3_MAX_REF * D3_MAX_REF,
                           s.nref[zj], s.nref[zk], gw + D3_MAX_REF * j, dgw + D3_MAX_REF * j,
                           gw + D3_MAX_REF * k, dgw + D3_MAX_REF * k, &c6jk, &djk_j, &djk_k);
                const double c9 = -s.s9 * sqrt(fabs(c6ij * c6ik * c6jk));
                const double r0 = r0ij * rs9 * s.r0ab[zi * s.nspecies + zk] * rs9 *
                                  s.r0ab[zj * s.nspecies + zk];
                const double triple = d3_triple_scale(i, j, k);
                d3_for_each_image(s, xi[0] - xk[0], xi[1] - xk[1], xi[2] - xk[2], rc2, eps,
                    [&](double wx, double wy, double wz, double r2ik) {
                    const double vik[3] = {-wx, -wy, -wz};
                    const double vjk[3] = {vik[0] - vij[0], vik[1] - vij[1], vik[2] - vij[2]};
                    const double r2jk = vjk[0] * vjk[0] + vjk[1] * vjk[1] + vjk[2] * vjk[2];
                    if (r2jk > rc2 || r2jk < eps) return;
                    const double r2 = r2ij * r2ik * r2jk;
                    const double r1 = sqrt(r2);
                    const double r3 = r2 * r1;
                    const double r5 = r3 * r2;
                    const double q = pow(r0 / r1, alp3);
                    const double fdmp = 1.0 / (1.0 + 6.0 * q);
                    const double ang = 0.375 * (r2ij + r2jk - r2ik) * (r2ij - r2jk + r2ik) *
                                           (-r2ij + r2jk + r2ik) / r5 + 1.0 / r3;
                    const double rr = ang * fdmp;
                    const double dfdmp = -2.0 * (3.0 * alp3) * q * fdmp * fdmp;
                    double dang;
                    dang = -0.375 * (r2ij * r2ij * r2ij + r2ij * r2ij * (r2jk + r2ik) +
                                     r2ij * (3.0 * r2jk * r2jk + 2.0 * r2jk * r2ik + 3.0 * r2ik * r2ik) -
                                     5.0 * (r2jk - r2ik) * (r2jk - r2ik) * (r2jk + r2ik)) / r5;
                    const double gij = triple * c9 * (-dang * fdmp + ang * dfdmp) / r2ij;
                    dang = -0.375 * (r2ik * r2ik * r2ik + r2ik * r2ik * (r2jk + r2ij) +
                                     r2ik * (3.0 * r2jk * r2jk + 2.0 * r2jk * r2ij + 3.0 * r2ij * r2ij) -
                                     5.0 * (r2jk - r2ij) * (r2jk - r2ij) * (r2jk + r2ij)) / r5;
                    const double gik = triple * c9 * (-dang * fdmp + ang * dfdmp) / r2ik;
                    dang = -0.375 * (r2jk * r2jk * r2jk + r2jk * r2jk * (r2ik + r2ij) +
                                     r2jk * (3.0 * r2ik * r2ik + 2.0 * r2ik * r2ij + 3.0 * r2ij * r2ij) -
                                     5.0 * (r2ik - r2ij) * (r2ik - r2ij) * (r2ik + r2ij)) / r5;
                    const double gjk = triple * c9 * (-dang * fdmp + ang * dfdmp) / r2jk;
                    const double dE = rr * c9 * triple;
                    own.energy -= dE / 3.0;
                    add(energy + j, -dE / 3.0);
                    add(energy + k, -dE / 3.0);
                    for (int c = 0; c < 3; ++c) {
                        const double gIJ = gij * vij[c], gIK = gik * vik[c], gJK = gjk * vjk[c];
                        own.grad[c] += -gIJ - gIK;
                        add(grad + 3 * j + c, gIJ - gJK);
                        add(grad + 3 * k + c, gIK + gJK);
                        for (int d = 0; d < 3; ++d)
                            own.sigma[3 * c + d] += gIJ * vij[d] + gIK * vik[d] + gJK * vjk[d];
                    }
                    own.dEdcn -= dE * 0.5 * (dij_i / c6ij + dik_i / c6ik);
                    add(dEdcn + j, -dE * 0.5 * (dij_j / c6ij + djk_j / c6jk));
                    add(dEdcn + k, -dE * 0.5 * (dik_k / c6ik + djk_k / c6jk));
                });
            }
        });
    }
}

#endif  // ASE_ELECTROLYTE_D3_MATH_H
