// Histogram of all periodic pair distances of a frame by atom class and intra/intermolecular:
// the kernel of mda_electrolyte.rdf.IntraInterRDF. The pair search is the package's one
// neighbour engine, ase_electrolyte/csrc/cell_list.h (shared with the DFT-D3 CPU kernel);
// this file only counts.
//
// Every unordered pair {i, j} of atoms closer than r_max (minimum image; r_max must not exceed
// half the smallest distance between opposite cell faces, checked here within a relative 1e-6
// for r_max = L/2 read from float32 box dimensions) adds one to
//     counts[first_code[i] + second_code[j] + (mol[i] != mol[j]) * row + bin(r_ij)]
// with i < j in the caller's order. bin() is numpy.histogram's bin on `edges` (nbins + 1 edges
// from r_min to r_max, r_max itself in the last bin); a pair closer than r_min counts in the
// slot after the last bin, bin() = nbins (the caller's rows hold it: row > nbins): the pairs
// below a range that starts after 0 Å belong to every cumulative coordination number and tell
// whether the range starts inside the first shell, so none is dropped.
// Distances are computed in double precision from the caller's coordinates wrapped into the
// cell (the engine subtracts whole lattice vectors).
//
// The cell must be lower triangular (rows a = (ax, 0, 0), b = (bx, by, 0), c = (cx, cy, cz),
// as MDAnalysis' triclinic_vectors gives; the Python wrapper rotates any other cell). With
// r_max at most half every face distance, a pair has at most one image within r_max and no
// atom is within r_max of its own image (a nonzero lattice vector is at least one face
// distance long), so the engine's pair images are exactly the minimum-image pairs.
//
// An atom more than max_cell_widths cell widths (fractional coordinate) from the cell is
// refused: wrapping it would lose the digits of its distances.
//
// Returns 0, or 1 with a message in `error` (`error_size` bytes) when the input cannot be
// handled (it never throws across the C boundary).

#if defined(__AVX512F__) && defined(__AVX512VL__)
#include <immintrin.h>
#endif
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <vector>

#include "cell_list.h"

namespace {

// Mean atoms per sub-cell of the engine's grid: 48 (sub-cells ~8 Å wide in a liquid
// electrolyte) measured fastest on bn_fec at r_max = 8 Å against 24 and 96, by ~10%; the
// per-atom box pruning keeps the candidates near the pairs within r_max either way.
constexpr double ATOMS_PER_CELL = 48.0;

void set_error(char* error, int size, const char* message) {
    if (error != nullptr && size > 0) {
        std::snprintf(error, static_cast<size_t>(size), "%s", message);
    }
}

int run(int64_t n, const double* pos, const double* cell, double r_min, double r_max,
        int64_t nbins, const double* edges, const int64_t* first_code,
        const int64_t* second_code, const int64_t* mol, int64_t row, int64_t* counts,
        int64_t n_counts, int nthreads, double max_cell_widths, char* error, int error_size) {
    if (n < 0 || n > 1000000000 || nbins < 1 || !(r_max > r_min) || !(r_min >= 0.0)) {
        set_error(error, error_size, "pair_histogram: invalid sizes or range");
        return 1;
    }
    if (nbins > 1000000000) {
        // the vector loop truncates bins to int
        set_error(error, error_size, "pair_histogram: more than 1e9 bins");
        return 1;
    }
    if (r_min > 0.0 && row <= nbins) {
        // the closer pairs' slot would be the next row's first bin
        set_error(error, error_size,
                  "pair_histogram: a range that starts after 0 needs row > nbins (a slot for "
                  "the pairs closer than r_min)");
        return 1;
    }
    if (cell[1] != 0.0 || cell[2] != 0.0 || cell[5] != 0.0) {
        set_error(error, error_size, "pair_histogram: the cell must be lower triangular");
        return 1;
    }
    const double volume = std::fabs(cell[0] * cell[4] * cell[8]);
    if (!(volume > 0.0)) {
        set_error(error, error_size, "pair_histogram: the cell has no volume");
        return 1;
    }
    double height[3];
    cell_list::cell_heights(cell, height);
    if (!std::isfinite(volume) || !std::isfinite(height[0]) || !std::isfinite(height[1]) ||
        !std::isfinite(height[2]) || !(height[0] > 0.0 && height[1] > 0.0 && height[2] > 0.0)) {
        // products of four cell lengths overflow (or underflow) double precision
        set_error(error, error_size,
                  "pair_histogram: the cell's volume or face distances are not representable "
                  "(cell lengths far outside 1e-70 .. 1e70 Angstrom)");
        return 1;
    }
    for (int k = 0; k < 3; k++) {
        // r_max = L/2 read from float32 box dimensions can exceed the float64 half width in
        // the last float32 digit; a pair at that distance has two images within r_max and is
        // counted twice, as by a neighbour list
        if (height[k] < 2.0 * r_max * (1.0 - 1e-6)) {
            set_error(error, error_size, "pair_histogram: r_max exceeds half the cell width");
            return 1;
        }
    }
    for (int64_t i = 0; i < 3 * n; i++) {
        if (!std::isfinite(pos[i])) {
            set_error(error, error_size, "pair_histogram: non-finite coordinates");
            return 1;
        }
    }
    // fractional coordinates: an atom max_cell_widths cells away is wrapped with the digits
    // of its distances lost (a unit or unwrapping mistake, not a position)
    for (int64_t i = 0; i < n; i++) {
        const double* p = pos + 3 * i;
        const double fc = p[2] / cell[8];
        const double fb = (p[1] - fc * cell[7]) / cell[4];
        const double fa = (p[0] - fc * cell[6] - fb * cell[3]) / cell[0];
        if (!(std::fabs(fa) <= max_cell_widths && std::fabs(fb) <= max_cell_widths &&
              std::fabs(fc) <= max_cell_widths)) {
            char message[200];
            std::snprintf(message, sizeof message,
                          "pair_histogram: atom %lld lies %.3g cell widths from the cell "
                          "(more than %.3g; coordinates in the cell's units?)",
                          static_cast<long long>(i),
                          std::fmax(std::fabs(fa), std::fmax(std::fabs(fb), std::fabs(fc))),
                          max_cell_widths);
            set_error(error, error_size, message);
            return 1;
        }
    }
    const int natoms = static_cast<int>(n);
    cell_list::Grid grid;
    grid.build(cell, natoms, pos, ATOMS_PER_CELL);
    cell_list::Stencil stencil;
    stencil.build(grid, r_max);

    // the caller's index and codes in the engine's sorted order
    std::vector<int64_t> code1(natoms), code2(natoms), molecule(natoms);
    for (int p = 0; p < natoms; p++) {
        const int i = grid.perm[p];
        code1[p] = first_code[i];
        code2[p] = second_code[i];
        molecule[p] = mol[i];
    }
    const int* index = grid.perm.data();
    const double* X = grid.x.data();
    const double* Y = grid.y.data();
    const double* Z = grid.z.data();
    const double r2_max = r_max * r_max;
    const double scale = static_cast<double>(nbins) / (r_max - r_min);
    const int nb = static_cast<int>(nbins), nb1 = nb - 1;
    if (nthreads < 1) {
        set_error(error, error_size, "pair_histogram: nthreads must be at least 1");
        return 1;
    }
    // thread 0 adds into the caller's array, the others into their own, summed at the end
    std::vector<std::vector<int64_t>> own(nthreads - 1, std::vector<int64_t>(n_counts, 0));
    // per thread: squared distances to one neighbour sub-cell's atoms, those within r_max
    struct Scratch {
        std::vector<double> r2;
        std::vector<int> kept;
        std::vector<double> kr2;
        std::vector<int> kb;
    };
    std::vector<Scratch> scratch(nthreads);
    for (auto& s : scratch) {
        s.r2.resize(grid.max_population() + 8);
        s.kept.resize(grid.max_population() + 8);
        s.kr2.resize(grid.max_population() + 8);
        s.kb.resize(grid.max_population());
    }

    cell_list::for_each_cell_block(grid, stencil, r_max, nthreads,
        [&](int tid, int i, const cell_list::Block* q0, const cell_list::Block* q1) {
        int64_t* out = tid == 0 ? counts : own[tid - 1].data();
        const int j0 = grid.start[q0->b], j1 = grid.start[q0->b + 1];
        const int64_t ci1 = code1[i], ci2 = code2[i], mi = molecule[i];
        double* __restrict r2s = scratch[tid].r2.data();
        int* __restrict keep = scratch[tid].kept.data();
        double* __restrict kr2 = scratch[tid].kr2.data();
        int* __restrict kb = scratch[tid].kb.data();
        for (const cell_list::Block* q = q0; q < q1; ++q) {
            const double px = X[i] - q->tx, py = Y[i] - q->ty, pz = Z[i] - q->tz;
            const int m = (q->self ? i : j1) - j0;
            const double* __restrict xj = X + j0;
            const double* __restrict yj = Y + j0;
            const double* __restrict zj = Z + j0;
#pragma omp simd
            for (int jj = 0; jj < m; jj++) {
                const double ddx = px - xj[jj], ddy = py - yj[jj], ddz = pz - zj[jj];
                r2s[jj] = ddx * ddx + ddy * ddy + ddz * ddz;
            }
            // the candidates within r_max, without a branch per candidate (most candidates
            // beyond r_max come in no predictable order): ~20% faster than testing in the loop
            int nk = 0;
#if defined(__AVX512F__) && defined(__AVX512VL__)
            // eight candidates at a time compressed into place (in order: the same pairs and
            // counts as the loop below): 4% of the pass on bn_fec. The store writes whole
            // vectors past nk, hence the 8 padding entries of the scratch arrays
            {
                const __m512d lim = _mm512_set1_pd(r2_max);
                const __m256i step = _mm256_set1_epi32(8);
                __m256i ids = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
                for (int base = 0; base < m; base += 8) {
                    const __m512d v = _mm512_loadu_pd(r2s + base);
                    __mmask8 mask = _mm512_cmp_pd_mask(v, lim, _CMP_LE_OQ);
                    if (m - base < 8) mask &= static_cast<__mmask8>((1u << (m - base)) - 1u);
                    _mm512_storeu_pd(kr2 + nk, _mm512_maskz_compress_pd(mask, v));
                    _mm256_storeu_si256(reinterpret_cast<__m256i*>(keep + nk),
                                        _mm256_maskz_compress_epi32(mask, ids));
                    nk += __builtin_popcount(mask);
                    ids = _mm256_add_epi32(ids, step);
                }
            }
#else
            for (int jj = 0; jj < m; jj++) {
                keep[nk] = jj;
                kr2[nk] = r2s[jj];
                nk += r2s[jj] <= r2_max;
            }
#endif
#pragma omp simd
            // distances and truncated bins of the kept pairs in one vector loop (the square
            // roots were a scalar chain per pair: ~9% of the pass on bn_fec); the correction
            // against the edges, rarely taken, stays scalar below
            for (int k = 0; k < nk; k++) {
                const double d = std::sqrt(kr2[k]);
                kr2[k] = d;
                const double f = (d - r_min) * scale;
                int b = static_cast<int>(f < 0.0 ? 0.0 : f);
                b = b < nb1 ? b : nb1;
                kb[k] = d < r_min ? nb : b;
            }
            for (int k = 0; k < nk; k++) {
                const int jj = keep[k];
                const double d = kr2[k];
                const int j = j0 + jj;
                int64_t b = kb[k];
                if (b < nbins) {
                    // numpy.histogram's correction against the edges
                    if (d < edges[b]) {
                        b--;
                    } else if (b < nbins - 1 && d >= edges[b + 1]) {
                        b++;
                    }
                }
                // the caller's order decides which atom is "first"
                const int64_t forward = ci1 + code2[j], backward = code1[j] + ci2;
                const int64_t at = (index[i] < index[j] ? forward : backward)
                                   + (mi != molecule[j] ? row : 0) + b;
                if (at < 0 || at >= n_counts) {
                    throw std::out_of_range("pair_histogram: histogram index out of range");
                }
                out[at]++;
            }
        }
    });
    for (const auto& counts_of_thread : own) {
        for (int64_t k = 0; k < n_counts; k++) counts[k] += counts_of_thread[k];
    }
    return 0;
}

}  // namespace

extern "C" int pair_histogram(int64_t n, const double* pos, const double* cell, double r_min,
                              double r_max, int64_t nbins, const double* edges,
                              const int64_t* first_code, const int64_t* second_code,
                              const int64_t* mol, int64_t row, int64_t* counts,
                              int64_t n_counts, int nthreads, double max_cell_widths,
                              char* error, int error_size) {
    try {
        return run(n, pos, cell, r_min, r_max, nbins, edges, first_code, second_code, mol, row,
                   counts, n_counts, nthreads, max_cell_widths, error, error_size);
    } catch (const std::exception& err) {
        set_error(error, error_size, err.what());
    } catch (...) {
        set_error(error, error_size, "pair_histogram: unknown C++ exception");
    }
    return 1;
}
