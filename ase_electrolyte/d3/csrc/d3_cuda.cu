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

struct AtomicAdd {
    __device__ void operator()(double* p, double v) const { atomicAdd(p, v); }
};

__global__ void k_cn(D3System s, double* cn) {
    __shared__ double smem[D3_BLOCK];
    const int i = blockIdx.x;
    double acc = 0.0;
    for (int j = threadIdx.x; j < s.natoms; j += D3_BLOCK) acc += d3_cn_images(s, i, j);
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
    double e_i = 0.0, d_i = 0.0, g[3] = {0.0, 0.0, 0.0}, vir[6] = {0, 0, 0, 0, 0, 0};
    for (int j = threadIdx.x; j < s.natoms; j += D3_BLOCK) {
        const int zj = s.species[j];
        const D3ImageSums t = d3_dispersion_images(s, d3_pair_const(s, zi, zj), i, j);
        if (t.empty()) continue;
        double c6, dc6i, dc6j;
        d3_pair_c6(s.c6ref + (zi * ns + zj) * D3_MAX_REF * D3_MAX_REF, s.nref[zi], s.nref[zj],
                   gw + D3_MAX_REF * i, dgw + D3_MAX_REF * i, gw + D3_MAX_REF * j,
                   dgw + D3_MAX_REF * j, &c6, &dc6i, &dc6j);
        const double w = -0.5 * c6;
        e_i += w * t.e;
        d_i -= dc6i * t.e;
        if (j != i)
            for (int c = 0; c < 3; ++c) g[c] -= c6 * t.g[c];
        for (int c = 0; c < 6; ++c) vir[c] += w * t.sym[c];
    }
    e_i = block_sum(e_i, smem);
    d_i = block_sum(d_i, smem);
    for (int c = 0; c < 3; ++c) g[c] = block_sum(g[c], smem);
    for (int c = 0; c < 6; ++c) vir[c] = block_sum(vir[c], smem);
    if (threadIdx.x == 0) {
        energy[i] += e_i;
        dEdcn[i] += d_i;
        for (int c = 0; c < 3; ++c) grad[3 * i + c] += g[c];
        d3_add_sym(sigma, 1.0, vir, AtomicAdd());
    }
}

__global__ void k_atm(D3System s, const double* gw, const double* dgw, double* energy,
                      double* dEdcn, double* grad, double* sigma) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= s.natoms) return;
    d3_atm_row(s, i, gw, dgw, energy, dEdcn, grad, sigma, AtomicAdd());
}

__global__ void k_cn_chain(D3System s, const double* dEdcn, double* grad, double* sigma) {
    __shared__ double smem[D3_BLOCK];
    const int i = blockIdx.x;
    double g[3] = {0.0, 0.0, 0.0}, vir[6] = {0, 0, 0, 0, 0, 0};
    for (int j = threadIdx.x; j < s.natoms; j += D3_BLOCK) {
        // ordered pairs: half of the pair's virial from each side; the self images of i
        // are seen only from i and count in full
        const double de = (j == i) ? dEdcn[i] : dEdcn[i] + dEdcn[j];
        const double wv = (j == i) ? de : 0.5 * de;
        const D3ImageSums t = d3_cn_chain_images(s, i, j);
        if (j != i)
            for (int c = 0; c < 3; ++c) g[c] += de * t.g[c];
        for (int c = 0; c < 6; ++c) vir[c] += wv * t.sym[c];
    }
    for (int c = 0; c < 3; ++c) g[c] = block_sum(g[c], smem);
    for (int c = 0; c < 6; ++c) vir[c] = block_sum(vir[c], smem);
    if (threadIdx.x == 0) {
        for (int c = 0; c < 3; ++c) grad[3 * i + c] += g[c];
        d3_add_sym(sigma, 1.0, vir, AtomicAdd());
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
        if (d3_has_two_body(s)) k_pair<<<n, D3_BLOCK>>>(s, gw, dgw, d_energy, d_dEdcn, d_grad, d_sigma);
        if (d3_has_atm(s))
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
