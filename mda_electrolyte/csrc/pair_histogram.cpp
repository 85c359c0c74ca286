// Histogram of all periodic pair distances of a frame by atom class and intra/intermolecular,
// in one pass over a cell list: the kernel of mda_electrolyte.rdf.IntraInterRDF.
//
// Every unordered pair {i, j} of atoms closer than r_max (minimum image; r_max must not exceed
// half the smallest distance between opposite cell faces, checked by the caller) adds one to
//     counts[first_code[i] + second_code[j] + (mol[i] != mol[j]) * row + bin(r_ij)]
// with i < j in the caller's order. bin() is numpy.histogram's bin on `edges` (nbins + 1 edges
// from r_min to r_max, r_max itself in the last bin); distances below r_min are not counted.
// Distances are computed in double precision from the caller's coordinates.
//
// Cells: the cell is divided along each lattice vector into slabs at least r_max / m thick (m
// = 2 when every direction holds at least five slabs, else 1), so every pair within r_max lies
// within m slabs along each direction. With at least 2m + 1 slabs everywhere only the forward
// half of the (2m + 1)^3 neighbour stencil is visited; otherwise the whole stencil, keeping a
// pair from the side of its lower index.
//
// Returns 0, or 1 with a message in `error` (`error_size` bytes) when the input cannot be
// handled (it never throws across the C boundary).

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <vector>

namespace {

void set_error(char* error, int size, const char* message) {
    if (error != nullptr && size > 0) {
        std::snprintf(error, static_cast<size_t>(size), "%s", message);
    }
}

int run(int64_t n, const double* pos, const double* cell, const double* inverse, double r_min,
        double r_max, int64_t nbins, const double* edges, const int64_t* first_code,
        const int64_t* second_code, const int64_t* mol, int64_t row, int64_t* counts,
        int64_t n_counts, char* error, int error_size) {
    if (n < 0 || nbins < 1 || !(r_max > r_min) || !(r_min >= 0.0)) {
        set_error(error, error_size, "pair_histogram: invalid sizes or range");
        return 1;
    }
    double volume = std::fabs(cell[0] * (cell[4] * cell[8] - cell[5] * cell[7])
                              - cell[1] * (cell[3] * cell[8] - cell[5] * cell[6])
                              + cell[2] * (cell[3] * cell[7] - cell[4] * cell[6]));
    if (!(volume > 0.0) || !std::isfinite(volume)) {
        set_error(error, error_size, "pair_histogram: the cell has no volume");
        return 1;
    }
    double width[3];
    for (int k = 0; k < 3; k++) {
        const double* a = cell + 3 * ((k + 1) % 3);
        const double* b = cell + 3 * ((k + 2) % 3);
        double cx = a[1] * b[2] - a[2] * b[1];
        double cy = a[2] * b[0] - a[0] * b[2];
        double cz = a[0] * b[1] - a[1] * b[0];
        width[k] = volume / std::sqrt(cx * cx + cy * cy + cz * cz);
    }
    int m = 2;
    int nc[3];
    for (int pass = 0; pass < 2; pass++) {
        bool fine = true;
        for (int k = 0; k < 3; k++) {
            double slabs = std::floor(width[k] * m / r_max);
            nc[k] = static_cast<int>(std::fmax(1.0, std::fmin(slabs, 512.0)));
            if (nc[k] < 5) fine = false;
        }
        if (fine || m == 1) break;
        m = 1;
    }
    for (int k = 0; k < 3; k++) {
        // r_max = L/2 read from float32 box dimensions can exceed the float64 half width in the
        // last float32 digit; two slabs visited through both images still find every pair
        if (m == 1 && nc[k] == 1 && width[k] >= 2.0 * r_max * (1.0 - 1e-6)) nc[k] = 2;
        if (nc[k] < 2) {
            set_error(error, error_size, "pair_histogram: r_max exceeds half the cell width");
            return 1;
        }
    }
    bool half = nc[0] >= 2 * m + 1 && nc[1] >= 2 * m + 1 && nc[2] >= 2 * m + 1;
    const int64_t n_cells = static_cast<int64_t>(nc[0]) * nc[1] * nc[2];

    // wrapped coordinates sorted by cell (contiguous per cell), with the caller's index
    std::vector<int64_t> cell_of(n), start(n_cells + 1, 0), fill;
    std::vector<double> wrapped(3 * n);
    for (int64_t i = 0; i < n; i++) {
        int64_t c[3];
        double s[3];
        for (int k = 0; k < 3; k++) {
            s[k] = pos[3 * i] * inverse[k] + pos[3 * i + 1] * inverse[3 + k]
                   + pos[3 * i + 2] * inverse[6 + k];
            if (!std::isfinite(s[k])) {
                set_error(error, error_size, "pair_histogram: non-finite coordinates");
                return 1;
            }
            s[k] -= std::floor(s[k]);
            int64_t q = static_cast<int64_t>(std::floor(s[k] * nc[k]));
            c[k] = q < 0 ? 0 : (q >= nc[k] ? nc[k] - 1 : q);
        }
        for (int a = 0; a < 3; a++) {
            wrapped[3 * i + a] = s[0] * cell[a] + s[1] * cell[3 + a] + s[2] * cell[6 + a];
        }
        cell_of[i] = (c[0] * nc[1] + c[1]) * nc[2] + c[2];
        start[cell_of[i] + 1]++;
    }
    for (int64_t c = 0; c < n_cells; c++) start[c + 1] += start[c];
    fill.assign(start.begin(), start.end() - 1);
    std::vector<double> x(n), y(n), z(n);
    std::vector<int64_t> index(n), code1(n), code2(n), molecule(n);
    for (int64_t i = 0; i < n; i++) {
        int64_t p = fill[cell_of[i]]++;
        x[p] = wrapped[3 * i];
        y[p] = wrapped[3 * i + 1];
        z[p] = wrapped[3 * i + 2];
        index[p] = i;
        code1[p] = first_code[i];
        code2[p] = second_code[i];
        molecule[p] = mol[i];
    }
    const double r2_max = r_max * r_max;
    const double scale = static_cast<double>(nbins) / (r_max - r_min);
    const int64_t last = n_counts;
    for (int cx = 0; cx < nc[0]; cx++)
    for (int cy = 0; cy < nc[1]; cy++)
    for (int cz = 0; cz < nc[2]; cz++) {
        const int64_t ca = (static_cast<int64_t>(cx) * nc[1] + cy) * nc[2] + cz;
        for (int dx = -m; dx <= m; dx++)
        for (int dy = -m; dy <= m; dy++)
        for (int dz = -m; dz <= m; dz++) {
            bool self = dx == 0 && dy == 0 && dz == 0;
            // the forward half: offsets after (0, 0, 0) in lexicographic order
            if (half && !self && (dx < 0 || (dx == 0 && (dy < 0 || (dy == 0 && dz < 0))))) {
                continue;
            }
            int cc[3] = {cx + dx, cy + dy, cz + dz};
            double shift[3] = {0.0, 0.0, 0.0};
            for (int k = 0; k < 3; k++) {
                int q = cc[k] >= nc[k] ? 1 : (cc[k] < 0 ? -1 : 0);
                cc[k] -= q * nc[k];
                for (int a = 0; a < 3; a++) shift[a] += q * cell[3 * k + a];
            }
            const int64_t cb = (static_cast<int64_t>(cc[0]) * nc[1] + cc[1]) * nc[2] + cc[2];
            for (int64_t p = start[ca]; p < start[ca + 1]; p++) {
                const double px = x[p] - shift[0], py = y[p] - shift[1], pz = z[p] - shift[2];
                int64_t q0 = start[cb];
                if (self) q0 = p + 1;
                for (int64_t q = q0; q < start[cb + 1]; q++) {
                    if (!half && !self && index[q] <= index[p]) continue;
                    const double ddx = x[q] - px, ddy = y[q] - py, ddz = z[q] - pz;
                    const double r2 = ddx * ddx + ddy * ddy + ddz * ddz;
                    if (r2 > r2_max) continue;
                    const double d = std::sqrt(r2);
                    if (d < r_min) continue;
                    int64_t b = static_cast<int64_t>((d - r_min) * scale);
                    if (b >= nbins) b = nbins - 1;
                    // numpy.histogram's correction against the edges
                    if (d < edges[b]) {
                        b--;
                    } else if (b < nbins - 1 && d >= edges[b + 1]) {
                        b++;
                    }
                    // the caller's order decides which atom is "first"
                    int64_t i = p, j = q;
                    if (index[q] < index[p]) { i = q; j = p; }
                    int64_t at = code1[i] + code2[j] + (molecule[i] != molecule[j] ? row : 0) + b;
                    if (at < 0 || at >= last) {
                        set_error(error, error_size, "pair_histogram: histogram index out of range");
                        return 1;
                    }
                    counts[at]++;
                }
            }
        }
    }
    return 0;
}

}  // namespace

extern "C" int pair_histogram(int64_t n, const double* pos, const double* cell,
                              const double* inverse, double r_min, double r_max, int64_t nbins,
                              const double* edges, const int64_t* first_code,
                              const int64_t* second_code, const int64_t* mol, int64_t row,
                              int64_t* counts, int64_t n_counts, char* error, int error_size) {
    try {
        return run(n, pos, cell, inverse, r_min, r_max, nbins, edges, first_code, second_code,
                   mol, row, counts, n_counts, error, error_size);
    } catch (const std::exception& err) {
        set_error(error, error_size, err.what());
    } catch (...) {
        set_error(error, error_size, "pair_histogram: unknown C++ exception");
    }
    return 1;
}
