// The one compiled neighbour engine of the package: cell lists of a periodic cell, shared by
// the DFT-D3 CPU kernel (ase_electrolyte/d3/csrc/d3_cpu.cpp) and the RDF pair histogram
// (mda_electrolyte/csrc/pair_histogram.cpp). Header-only; it knows positions and a lattice,
// nothing of what a consumer computes per pair.
//
// Grid: the atoms are wrapped into a lower-triangular cell (rows a = (ax, 0, 0),
// b = (bx, by, 0), c = (cx, cy, cz); callers rotate a general cell) and sorted into sub-cells
// (contiguous per sub-cell), each sub-cell with the bounding box of its atoms.
// Stencil: the sub-cell offsets whose sub-cells can hold two points within the cutoff.
// home_blocks: for one home sub-cell, the (neighbour sub-cell, lattice translation) blocks
// whose atoms' bounding boxes come within the cutoff. Every unordered pair image
// (i, j + T) belongs to exactly one home sub-cell's list: the neighbour sub-cell index is
// >= the home one, and for the home sub-cell itself the offset is lexicographically positive,
// or zero (the block marked `self`, where only j < i in sorted order is a pair).
// for_each_cell_block: the thread work split (work items per home sub-cell, split into atom
// ranges when there are few) and the per-atom pruning of the blocks.
//
// The cutoff tests here are conservative (bounding boxes, a relative margin of ~1e-9): a
// consumer visits a superset of the pair images within the cutoff and applies its own exact
// test on the distance it computes as (x_i - t) - x_j from the wrapped, sorted coordinates.
#ifndef ASE_ELECTROLYTE_CELL_LIST_H
#define ASE_ELECTROLYTE_CELL_LIST_H

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace cell_list {

// An exception escaping a std::thread would call std::terminate (the Python process would
// abort): every worker catches, the first exception is rethrown after all have joined.
template <class Body>
void run_threads(int nthreads, Body&& worker) {
    if (nthreads <= 1) {
        worker(0);
        return;
    }
    std::exception_ptr failure;
    std::mutex lock;
    auto guarded = [&](int tid) {
        try {
            worker(tid);
        } catch (...) {
            std::lock_guard<std::mutex> g(lock);
            if (!failure) failure = std::current_exception();
        }
    };
    std::vector<std::thread> pool;
    try {
        for (int t = 0; t < nthreads; ++t) pool.emplace_back(guarded, t);
    } catch (const std::exception& err) {
        for (auto& th : pool) th.join();
        // the system's refusal ("Resource temporarily unavailable") does not say of what
        throw std::runtime_error("could not start " + std::to_string(nthreads) +
                                 " threads (" + err.what() + "); use fewer threads");
    } catch (...) {
        for (auto& th : pool) th.join();
        throw;
    }
    for (auto& th : pool) th.join();
    if (failure) std::rethrow_exception(failure);
}

// body(tid, item) for item = 0 .. count-1, handed out one by one (items are coarse).
// thread_start, if given, runs first in every thread (the D3 kernel's fault-injection hook).
template <class Body>
void parallel_items(int count, int nthreads, Body&& body, void (*thread_start)() = nullptr) {
    std::atomic<int> next(0);
    run_threads(nthreads, [&](int tid) {
        if (thread_start) thread_start();
        for (int item; (item = next.fetch_add(1)) < count;) body(tid, item);
    });
}

inline int floor_div(int a, int n) { return (a >= 0) ? a / n : -((-a + n - 1) / n); }

// Perpendicular heights of a lower-triangular cell: volume / area of the opposite face.
inline void cell_heights(const double* lat, double* height) {
    const double ax = lat[0], bx = lat[3], by = lat[4], cx = lat[6], cy = lat[7], cz = lat[8];
    const double volume = std::fabs(ax * by * cz);
    height[0] = volume / std::sqrt(by * cz * by * cz + bx * cz * bx * cz +
                                   (bx * cy - by * cx) * (bx * cy - by * cx));
    height[1] = volume / std::sqrt(ax * cz * ax * cz + ax * cy * ax * cy);
    height[2] = std::fabs(cz);
}

// Cell list of a lower-triangular periodic cell.
struct Grid {
    int n[3] = {1, 1, 1};        // sub-cells along a, b, c
    int ncell = 1;
    double lat[9];
    std::vector<int> start;      // [ncell+1]: atoms of sub-cell k are sorted[start[k], start[k+1])
    std::vector<int> perm;       // sorted position -> original atom index
    std::vector<double> x, y, z; // wrapped positions, sorted, padded by 8 zeros
    std::vector<double> lo, hi;  // [ncell*3]: bounding box of the atoms of each sub-cell

    // lattice: 9 values, rows a, b, c; xyz: [natoms*3], finite (not checked here).
    // atoms_per_cell: target mean population of a sub-cell; there are at most 2 N + 8
    // sub-cells and at most 1024 along each direction.
    void build(const double* lattice, int natoms, const double* xyz, double atoms_per_cell) {
        for (int k = 0; k < 9; ++k) lat[k] = lattice[k];
        const double ax = lat[0], bx = lat[3], by = lat[4], cx = lat[6], cy = lat[7], cz = lat[8];
        const double volume = std::fabs(ax * by * cz);
        double height[3];
        cell_heights(lat, height);
        double width = std::cbrt(atoms_per_cell * volume / std::max(1, natoms));
        for (;;) {
            for (int k = 0; k < 3; ++k)
                n[k] = std::max(1, (int)std::min(1024.0, std::floor(height[k] / width)));
            if ((double)n[0] * n[1] * n[2] <= 2.0 * natoms + 8.0) break;
            width *= 1.25;
        }
        ncell = n[0] * n[1] * n[2];

        std::vector<int> cell_of(natoms);
        std::vector<double> wx(natoms), wy(natoms), wz(natoms);
        for (int i = 0; i < natoms; ++i) {
            double px = xyz[3 * i], py = xyz[3 * i + 1], pz = xyz[3 * i + 2];
            const double fc = pz / cz;
            const double fb = (py - fc * cy) / by;
            const double fa = (px - fc * cx - fb * bx) / ax;
            const double f[3] = {fa, fb, fc};
            int idx[3];
            for (int k = 0; k < 3; ++k) {
                const double fl = std::floor(f[k]);
                idx[k] = std::min(n[k] - 1, std::max(0, (int)std::floor((f[k] - fl) * n[k])));
            }
            const double la = std::floor(fa), lb = std::floor(fb), lc = std::floor(fc);
            px -= la * ax + lb * bx + lc * cx;
            py -= lb * by + lc * cy;
            pz -= lc * cz;
            wx[i] = px; wy[i] = py; wz[i] = pz;
            cell_of[i] = (idx[0] * n[1] + idx[1]) * n[2] + idx[2];
        }
        start.assign(ncell + 1, 0);
        for (int i = 0; i < natoms; ++i) ++start[cell_of[i] + 1];
        for (int k = 0; k < ncell; ++k) start[k + 1] += start[k];
        std::vector<int> fill(start.begin(), start.end() - 1);
        perm.resize(natoms);
        for (int i = 0; i < natoms; ++i) perm[fill[cell_of[i]]++] = i;
        // 8 padding entries: vector loops may read whole groups of 8 neighbours
        x.assign(natoms + 8, 0.0); y.assign(natoms + 8, 0.0); z.assign(natoms + 8, 0.0);
        for (int p = 0; p < natoms; ++p) {
            const int i = perm[p];
            x[p] = wx[i]; y[p] = wy[i]; z[p] = wz[i];
        }
        lo.assign(3 * (size_t)ncell, 0.0);
        hi.assign(3 * (size_t)ncell, 0.0);
        for (int k = 0; k < ncell; ++k) {
            if (start[k] == start[k + 1]) continue;
            double l[3] = {1e300, 1e300, 1e300}, h[3] = {-1e300, -1e300, -1e300};
            for (int p = start[k]; p < start[k + 1]; ++p) {
                const double q[3] = {x[p], y[p], z[p]};
                for (int c = 0; c < 3; ++c) {
                    l[c] = std::min(l[c], q[c]);
                    h[c] = std::max(h[c], q[c]);
                }
            }
            for (int c = 0; c < 3; ++c) {
                lo[3 * k + c] = l[c];
                hi[3 * k + c] = h[c];
            }
        }
    }

    // Largest sub-cell population.
    int max_population() const {
        int m = 0;
        for (int k = 0; k < ncell; ++k) m = std::max(m, start[k + 1] - start[k]);
        return m;
    }
};

// Sub-cell offsets (i, j, k) of a lower-triangular cell `lat` divided into n[0] x n[1] x n[2]
// sub-cells whose sub-cells can hold two points within `cutoff` of each other: centre
// distance <= cutoff + 2 * (half the longest sub-cell diagonal), with a margin for atoms a
// rounding error outside their sub-cell. Appended to `d` as 3 ints each (d is cleared first).
// The one stencil of the CPU cell list and of the CUDA kernel's bins.
inline void stencil_offsets(const double* lat, const int* n, double cutoff, std::vector<int>& d) {
    double u[3][3];
    for (int k = 0; k < 3; ++k)
        for (int c = 0; c < 3; ++c) u[k][c] = lat[3 * k + c] / n[k];
    double diag = 0.0;
    const int signs[4][3] = {{1, 1, 1}, {1, 1, -1}, {1, -1, 1}, {-1, 1, 1}};
    for (const auto& sg : signs) {
        double v2 = 0.0;
        for (int c = 0; c < 3; ++c) {
            const double v = sg[0] * u[0][c] + sg[1] * u[1][c] + sg[2] * u[2][c];
            v2 += v * v;
        }
        diag = std::max(diag, std::sqrt(v2));
    }
    const double reach = (cutoff + diag) * (1.0 + 1e-9) + 1e-9;
    // Two points within the cutoff differ by at most cutoff / h_k in fractional coordinate k
    // (h_k the plane spacing), so their sub-cell indices by at most ceil(cutoff n_k / h_k) + 1
    // (the 1 for their places inside the sub-cells). The bound is the cutoff's, not reach's:
    // the diagonal of a sub-cell 10^4 Å long (a needle cell) made the box of offsets
    // (2 reach n_k / h_k)^3 ~ 10^9 entries for a 30 Å cutoff in an 8 x 9 x 50000 Å cell.
    const double radius = cutoff * (1.0 + 1e-9) + 1e-9;
    double height[3];
    cell_heights(lat, height);
    int m[3];
    for (int k = 0; k < 3; ++k) m[k] = (int)std::ceil(radius / (height[k] / n[k])) + 1;
    d.clear();
    for (int i = -m[0]; i <= m[0]; ++i)
        for (int j = -m[1]; j <= m[1]; ++j)
            for (int k = -m[2]; k <= m[2]; ++k) {
                double s2 = 0.0;
                for (int c = 0; c < 3; ++c) {
                    const double v = i * u[0][c] + j * u[1][c] + k * u[2][c];
                    s2 += v * v;
                }
                if (s2 <= reach * reach) {
                    d.push_back(i);
                    d.push_back(j);
                    d.push_back(k);
                }
            }
}

// The stencil of a Grid (see stencil_offsets).
struct Stencil {
    std::vector<int> d;  // [3*count]
    int count = 0;
    void build(const Grid& g, double cutoff) {
        stencil_offsets(g.lat, g.n, cutoff, d);
        count = (int)d.size() / 3;
    }
};

// One block of work: the atoms of sub-cell `b` translated by t, seen from a home sub-cell.
// `self` marks the home sub-cell itself without translation (only pairs j < i).
struct Block {
    int b;
    int self;
    double tx, ty, tz;
};

// Blocks of home sub-cell `a` that can hold pairs within `cutoff`, grouped by neighbour
// sub-cell (see the header comment for why each unordered pair image is in one list).
inline void home_blocks(const Grid& g, const Stencil& st, int a, double cutoff,
                        std::vector<Block>& out) {
    out.clear();
    const int na = g.n[0], nb = g.n[1], nc = g.n[2];
    const int ia = a / (nb * nc), ib = (a / nc) % nb, ic = a % nc;
    const double* alo = &g.lo[3 * (size_t)a];
    const double* ahi = &g.hi[3 * (size_t)a];
    const double lim = cutoff * (1.0 + 1e-9);
    const double lim2 = lim * lim;
    for (int q = 0; q < st.count; ++q) {
        const int da = st.d[3 * q], db = st.d[3 * q + 1], dc = st.d[3 * q + 2];
        int ja = ia + da, jb = ib + db, jc = ic + dc;
        const int ka = floor_div(ja, na), kb = floor_div(jb, nb), kc = floor_div(jc, nc);
        ja -= ka * na; jb -= kb * nb; jc -= kc * nc;
        const int b = (ja * nb + jb) * nc + jc;
        if (b < a || g.start[b] == g.start[b + 1]) continue;
        const bool zero = (da == 0 && db == 0 && dc == 0);
        if (b == a && !zero && !(da > 0 || (da == 0 && (db > 0 || (db == 0 && dc > 0))))) continue;
        const double t[3] = {ka * g.lat[0] + kb * g.lat[3] + kc * g.lat[6],
                             kb * g.lat[4] + kc * g.lat[7], kc * g.lat[8]};
        // x_i - x_j - t over the two boxes: [alo - bhi - t, ahi - blo - t]
        double gap2 = 0.0;
        for (int c = 0; c < 3; ++c) {
            const double lo = alo[c] - g.hi[3 * (size_t)b + c] - t[c];
            const double hi = ahi[c] - g.lo[3 * (size_t)b + c] - t[c];
            const double gap = lo > 0.0 ? lo : (hi < 0.0 ? -hi : 0.0);
            gap2 += gap * gap;
        }
        if (gap2 > lim2) continue;
        out.push_back({b, zero ? 1 : 0, t[0], t[1], t[2]});
    }
    std::sort(out.begin(), out.end(), [](const Block& p, const Block& q) { return p.b < q.b; });
}

// Work items over home sub-cells, split into atom ranges when there are few sub-cells so
// that every thread gets work.
struct WorkItem {
    int cell, i0, i1;
};

inline std::vector<WorkItem> work_items(const Grid& g, int nthreads) {
    int occupied = 0;
    for (int k = 0; k < g.ncell; ++k) occupied += g.start[k + 1] > g.start[k];
    const int split = std::max(1, (8 * nthreads + occupied - 1) / std::max(1, occupied));
    std::vector<WorkItem> items;
    for (int k = 0; k < g.ncell; ++k) {
        const int s0 = g.start[k], s1 = g.start[k + 1];
        if (s0 == s1) continue;
        const int step = std::max(1, (s1 - s0 + split - 1) / split);
        for (int i = s0; i < s1; i += step) items.push_back({k, i, std::min(s1, i + step)});
    }
    return items;
}

// True when the bounding box [lo, hi] of a neighbour sub-cell's atoms lies entirely beyond
// the cutoff of the point (dx, dy, dz) = x_i - t, i.e. its image under the translation t
// is beyond the cutoff of atom i (lim2: squared cutoff with a rounding margin).
inline bool box_beyond(const double* lo, const double* hi, double dx, double dy, double dz,
                       double lim2) {
    const double l[3] = {lo[0] - dx, lo[1] - dy, lo[2] - dz};
    const double h[3] = {hi[0] - dx, hi[1] - dy, hi[2] - dz};
    double gap2 = 0.0;
    for (int c = 0; c < 3; ++c) {
        const double gap = l[c] > 0.0 ? l[c] : (h[c] < 0.0 ? -h[c] : 0.0);
        gap2 += gap * gap;
    }
    return gap2 > lim2;
}

// Runs body(tid, i, block_begin, block_end) for every home atom i (sorted index) and every
// group of blocks that share one neighbour sub-cell, keeping only the blocks whose atoms'
// bounding box comes within the cutoff of atom i itself (the block list of the home sub-cell
// is built for the whole sub-cell; per atom about a third of its pair images are beyond the
// cutoff, and a neighbour sub-cell with none left is skipped altogether). The neighbour
// atoms of a group are sorted[g.start[b], g.start[b + 1]) with b = block_begin->b; in a
// `self` block only those before i are pairs. Body calls of one thread never overlap; tid
// is in [0, nthreads).
template <class Body>
void for_each_cell_block(const Grid& g, const Stencil& st, double cutoff, int nthreads,
                         Body&& body, void (*thread_start)() = nullptr) {
    const std::vector<WorkItem> items = work_items(g, nthreads);
    const double lim2 = cutoff * cutoff * (1.0 + 1e-8);
    struct Scratch {
        std::vector<Block> blocks;
        std::vector<Block> kept;  // the blocks of one neighbour sub-cell within reach of one atom
    };
    std::vector<Scratch> scratch(std::max(1, nthreads));
    parallel_items((int)items.size(), nthreads, [&](int tid, int it) {
        const WorkItem& w = items[it];
        Scratch& scr = scratch[tid];
        home_blocks(g, st, w.cell, cutoff, scr.blocks);
        const int nbl = (int)scr.blocks.size();
        scr.kept.resize(nbl);
        for (int i = w.i0; i < w.i1; ++i) {
            const double xi = g.x[i], yi = g.y[i], zi = g.z[i];
            for (int q0 = 0; q0 < nbl;) {
                const int b = scr.blocks[q0].b;
                const double* lo = &g.lo[3 * (size_t)b];
                const double* hi = &g.hi[3 * (size_t)b];
                int nk = 0;
                for (; q0 < nbl && scr.blocks[q0].b == b; ++q0) {
                    const Block& q = scr.blocks[q0];
                    if (!box_beyond(lo, hi, xi - q.tx, yi - q.ty, zi - q.tz, lim2))
                        scr.kept[nk++] = q;
                }
                if (nk) body(tid, i, scr.kept.data(), scr.kept.data() + nk);
            }
        }
    }, thread_start);
}

}  // namespace cell_list

#endif  // ASE_ELECTROLYTE_CELL_LIST_H
