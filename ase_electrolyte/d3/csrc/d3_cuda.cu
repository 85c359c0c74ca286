// CUDA kernel of DFT-D3, same math as the CPU kernel (d3_math.h), called through ctypes.
//
// On the GPU every atom i gets one thread block whose threads stride over all partners j
// (full neighbour sums: twice the pair work of the CPU's j <= i loop, but no atomics on
// per-atom arrays). Per-atom results are block-reduced; only the 3x3 virial and the ATM
// term use atomicAdd (double atomics need sm_60 or newer). Memory stays O(N).
#include <cuda_runtime.h>

#include <stdio.h>
#include <string.h>

#include "d3_math.h"

#define D3_BLOCK 128

namespace {

char g_error[512] = "";

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

__global__ void k_cn(D3System s, double* cn) {
    __shared__ double smem[D3_BLOCK];
    const int i = blockIdx.x;
    const double cn2 = s.cn_cutoff * s.cn_cutoff;
    const double* xi = s.xyz + 3 * i;
    const double rci = s.rcov[s.species[i]];
    double acc = 0.0;
    for (int j = threadIdx.x; j < s.natoms; j += D3_BLOCK) {
        const double rc = rci + s.rcov[s.species[j]];
        const double* xj = s.xyz + 3 * j;
        d3_for_each_image(s, xi[0] - xj[0], xi[1] - xj[1], xi[2] - xj[2], cn2, 1e-12,
                          [&](double, double, double, double r2) { acc += d3_count(rc, sqrt(r2)); });
    }
    acc = block_sum(acc, smem);
    if (threadIdx.x == 0) cn[i] = acc;
}

__global__ void k_weights(D3System s, const double* cn, double* gw, double* dgw) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= s.natoms) return;
    const int z = s.species[i];
    d3_weights(s.nref[z], s.cnref + D3_MAX_REF * z, cn[i], gw + D3_MAX_REF * i, dgw + D3_MAX_REF * i);
}

__global__ void k_pair(D3System s, const double* gw, const double* dgw, double* energy,
                       double* dEdcn, double* grad, double* sigma) {
    __shared__ double smem[D3_BLOCK];
    const int i = blockIdx.x;
    const int ns = s.nspecies;
    const int zi = s.species[i];
    const double* xi = s.xyz + 3 * i;
    const double rc2 = s.cutoff * s.cutoff;
    const double eps = 2.220446049250313e-16;
    const bool smooth = s.width > 0.0 && s.width < s.cutoff;
    double e_i = 0.0, d_i = 0.0, g[3] = {0.0, 0.0, 0.0}, vir[6] = {0, 0, 0, 0, 0, 0};
    for (int j = threadIdx.x; j < s.natoms; j += D3_BLOCK) {
        const int zj = s.species[j];
        const double* xj = s.xyz + 3 * j;
        const D3PairConst k = d3_pair_const(s, zi, zj);
        double es = 0.0, gx = 0.0, gy = 0.0, gz = 0.0;
        double sxx = 0.0, syy = 0.0, szz = 0.0, syz = 0.0, sxz = 0.0, sxy = 0.0;
        d3_for_each_image(s, xi[0] - xj[0], xi[1] - xj[1], xi[2] - xj[2], rc2, eps,
            [&](double vx, double vy, double vz, double r2) {
                double e, gg;
                d3_damped(s, k, r2, &e, &gg);
                if (smooth) {
                    const double r1 = sqrt(r2);
                    double sw, dsw;
                    d3_switch(r1, s.cutoff, s.width, &sw, &dsw);
                    gg = sw * gg + dsw * e / r1;
                    e = sw * e;
                }
                es += e;
                gx += gg * vx; gy += gg * vy; gz += gg * vz;
                sxx += gg * vx * vx; syy += gg * vy * vy; szz += gg * vz * vz;
                syz += gg * vy * vz; sxz += gg * vx * vz; sxy += gg * vx * vy;
            });
        if (es == 0.0 && gx == 0.0 && gy == 0.0 && gz == 0.0 && sxx == 0.0) continue;
        double c6, dc6i, dc6j;
        d3_pair_c6(s.c6ref + (zi * ns + zj) * D3_MAX_REF * D3_MAX_REF, s.nref[zi], s.nref[zj],
                   gw + D3_MAX_REF * i, dgw + D3_MAX_REF * i, gw + D3_MAX_REF * j,
                   dgw + D3_MAX_REF * j, &c6, &dc6i, &dc6j);
        e_i += -0.5 * c6 * es;
        d_i -= dc6i * es;
        if (j != i) {
            g[0] -= c6 * gx; g[1] -= c6 * gy; g[2] -= c6 * gz;
        }
        const double w = -0.5 * c6;
        vir[0] += w * sxx; vir[1] += w * syy; vir[2] += w * szz;
        vir[3] += w * syz; vir[4] += w * sxz; vir[5] += w * sxy;
    }
    e_i = block_sum(e_i, smem);
    d_i = block_sum(d_i, smem);
    for (int c = 0; c < 3; ++c) g[c] = block_sum(g[c], smem);
    for (int c = 0; c < 6; ++c) vir[c] = block_sum(vir[c], smem);
    if (threadIdx.x == 0) {
        energy[i] += e_i;
        dEdcn[i] += d_i;
        for (int c = 0; c < 3; ++c) grad[3 * i + c] += g[c];
        atomicAdd(sigma + 0, vir[0]); atomicAdd(sigma + 4, vir[1]); atomicAdd(sigma + 8, vir[2]);
        atomicAdd(sigma + 5, vir[3]); atomicAdd(sigma + 7, vir[3]);
        atomicAdd(sigma + 2, vir[4]); atomicAdd(sigma + 6, vir[4]);
        atomicAdd(sigma + 1, vir[5]); atomicAdd(sigma + 3, vir[5]);
    }
}

__global__ void k_atm(D3System s, const double* gw, const double* dgw, double* energy,
                      double* dEdcn, double* grad, double* sigma) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= s.natoms) return;
    d3_atm_row(s, i, gw, dgw, energy, dEdcn, grad, sigma,
               [](double* p, double v) { atomicAdd(p, v); });
}

__global__ void k_cn_chain(D3System s, const double* dEdcn, double* grad, double* sigma) {
    __shared__ double smem[D3_BLOCK];
    const int i = blockIdx.x;
    const double cn2 = s.cn_cutoff * s.cn_cutoff;
    const double* xi = s.xyz + 3 * i;
    const double rci = s.rcov[s.species[i]];
    double g[3] = {0.0, 0.0, 0.0}, vir[6] = {0, 0, 0, 0, 0, 0};
    for (int j = threadIdx.x; j < s.natoms; j += D3_BLOCK) {
        const double rc = rci + s.rcov[s.species[j]];
        const double* xj = s.xyz + 3 * j;
        // ordered pairs: half of the pair's virial from each side; the self images of i
        // are seen only from i and count in full
        const double de = (j == i) ? dEdcn[i] : dEdcn[i] + dEdcn[j];
        const double wv = (j == i) ? de : 0.5 * de;
        d3_for_each_image(s, xi[0] - xj[0], xi[1] - xj[1], xi[2] - xj[2], cn2, 1e-12,
            [&](double vx, double vy, double vz, double r2) {
                const double r1 = sqrt(r2);
                const double gg = d3_dcount(rc, r1) / r1;
                if (j != i) {
                    g[0] += de * gg * vx; g[1] += de * gg * vy; g[2] += de * gg * vz;
                }
                vir[0] += wv * gg * vx * vx; vir[1] += wv * gg * vy * vy; vir[2] += wv * gg * vz * vz;
                vir[3] += wv * gg * vy * vz; vir[4] += wv * gg * vx * vz; vir[5] += wv * gg * vx * vy;
            });
    }
    for (int c = 0; c < 3; ++c) g[c] = block_sum(g[c], smem);
    for (int c = 0; c < 6; ++c) vir[c] = block_sum(vir[c], smem);
    if (threadIdx.x == 0) {
        for (int c = 0; c < 3; ++c) grad[3 * i + c] += g[c];
        atomicAdd(sigma + 0, vir[0]); atomicAdd(sigma + 4, vir[1]); atomicAdd(sigma + 8, vir[2]);
        atomicAdd(sigma + 5, vir[3]); atomicAdd(sigma + 7, vir[3]);
        atomicAdd(sigma + 2, vir[4]); atomicAdd(sigma + 6, vir[4]);
        atomicAdd(sigma + 1, vir[5]); atomicAdd(sigma + 3, vir[5]);
    }
}

template <class T>
T* upload(const T* host, size_t count, cudaError_t* err) {
    T* dev = nullptr;
    if (count == 0) count = 1;
    if (*err == cudaSuccess) *err = cudaMalloc((void**)&dev, count * sizeof(T));
    if (*err == cudaSuccess && host) *err = cudaMemcpy(dev, host, count * sizeof(T), cudaMemcpyHostToDevice);
    if (*err == cudaSuccess && !host) *err = cudaMemset(dev, 0, count * sizeof(T));
    return dev;
}

}  // namespace

extern "C" {

const char* d3_cuda_last_error() { return g_error; }

int d3_cuda_device_count() {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) return 0;
    return count;
}

int d3_cuda_compute(const D3System* host, double* energy, double* grad, double* sigma, double* cn_out) {
    const int n = host->natoms;
    const int ns = host->nspecies;
    cudaError_t err = cudaSuccess;
    D3System s = *host;
    int* species = upload(host->species, n, &err);
    double* xyz = upload(host->xyz, 3 * (size_t)n, &err);
    double* trans = upload(host->trans, 3 * (size_t)(host->cell_mode == 0 ? host->ntrans : 0), &err);
    int* nref = upload(host->nref, ns, &err);
    double* cnref = upload(host->cnref, (size_t)ns * D3_MAX_REF, &err);
    double* rcov = upload(host->rcov, ns, &err);
    double* r4r2 = upload(host->r4r2, ns, &err);
    double* r0ab = upload(host->r0ab, (size_t)ns * ns, &err);
    double* c6ref = upload(host->c6ref, (size_t)ns * ns * D3_MAX_REF * D3_MAX_REF, &err);
    double* cn = upload<double>(nullptr, n, &err);
    double* gw = upload<double>(nullptr, (size_t)n * D3_MAX_REF, &err);
    double* dgw = upload<double>(nullptr, (size_t)n * D3_MAX_REF, &err);
    double* d_energy = upload<double>(nullptr, n, &err);
    double* d_dEdcn = upload<double>(nullptr, n, &err);
    double* d_grad = upload<double>(nullptr, 3 * (size_t)n, &err);
    double* d_sigma = upload<double>(nullptr, 9, &err);
    if (err == cudaSuccess) {
        s.species = species; s.xyz = xyz; s.trans = trans; s.nref = nref; s.cnref = cnref;
        s.rcov = rcov; s.r4r2 = r4r2; s.r0ab = r0ab; s.c6ref = c6ref;
        k_cn<<<n, D3_BLOCK>>>(s, cn);
        k_weights<<<(n + 127) / 128, 128>>>(s, cn, gw, dgw);
        const double eps = 2.220446049250313e-16;
        const bool two_body = !(fabs(s.s6) < eps && fabs(s.s8) < eps &&
                                (s.damping != D3_CSO || fabs(s.a1) < eps));
        if (two_body) k_pair<<<n, D3_BLOCK>>>(s, gw, dgw, d_energy, d_dEdcn, d_grad, d_sigma);
        if (s.atm && fabs(s.s9) >= eps)
            k_atm<<<(n + 63) / 64, 64>>>(s, gw, dgw, d_energy, d_dEdcn, d_grad, d_sigma);
        k_cn_chain<<<n, D3_BLOCK>>>(s, d_dEdcn, d_grad, d_sigma);
        err = cudaGetLastError();
        if (err == cudaSuccess) err = cudaDeviceSynchronize();
    }
    if (err == cudaSuccess) err = cudaMemcpy(energy, d_energy, n * sizeof(double), cudaMemcpyDeviceToHost);
    if (err == cudaSuccess) err = cudaMemcpy(grad, d_grad, 3 * (size_t)n * sizeof(double), cudaMemcpyDeviceToHost);
    if (err == cudaSuccess) err = cudaMemcpy(sigma, d_sigma, 9 * sizeof(double), cudaMemcpyDeviceToHost);
    if (err == cudaSuccess && cn_out) err = cudaMemcpy(cn_out, cn, n * sizeof(double), cudaMemcpyDeviceToHost);
    const cudaError_t failure = err;
    void* ptrs[] = {species, xyz, trans, nref, cnref, rcov, r4r2, r0ab, c6ref, cn, gw, dgw,
                    d_energy, d_dEdcn, d_grad, d_sigma};
    for (void* p : ptrs)
        if (p) cudaFree(p);
    if (failure != cudaSuccess) {
        snprintf(g_error, sizeof(g_error), "CUDA error: %s", cudaGetErrorString(failure));
        return 1;
    }
    return 0;
}

}  // extern "C"
