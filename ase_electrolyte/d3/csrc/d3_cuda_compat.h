// What d3_cuda.cu needs from CUDA, for both of its builds:
//  - nvcc: the CUDA runtime, and D3_DEV = __device__;
//  - g++ -DD3_CUDA_HOST: a host emulation of the few runtime calls it makes (device memory is
//    host memory, copies are memcpy, a stream or an event is nothing, atomicAdd is +=), so
//    that the test suite can run the whole CUDA code path (dispatch, buffers, per-block
//    bodies, reductions, the binning's scan) on a machine without a GPU, also under AddressSanitizer/UBSan. The launches themselves
//    (grid loops in a chosen block/thread order) are in d3_cuda.cu next to the real ones.
#ifndef ASE_ELECTROLYTE_D3_CUDA_COMPAT_H
#define ASE_ELECTROLYTE_D3_CUDA_COMPAT_H

#if defined(__CUDACC__)

#include <cuda_runtime.h>
#define D3_DEV __device__ __forceinline__

#else  // host emulation

#include <stdlib.h>
#include <string.h>

#define D3_DEV inline

typedef int cudaError_t;
typedef void* cudaStream_t;
typedef void* cudaEvent_t;
enum {
    cudaSuccess = 0,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInvalidDevice = 101,
};
enum cudaMemcpyKind {
    cudaMemcpyHostToDevice = 1,
    cudaMemcpyDeviceToHost = 2,
    cudaMemcpyDeviceToDevice = 3,
};
enum { cudaEventDisableTiming = 2 };

inline cudaError_t cudaMalloc(void** p, size_t bytes) {
    *p = malloc(bytes);
    return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
inline cudaError_t cudaFree(void* p) {
    free(p);
    return cudaSuccess;
}
inline cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind,
                                   cudaStream_t) {
    if (bytes) memcpy(dst, src, bytes);
    return cudaSuccess;
}
inline cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t) {
    if (bytes) memset(dst, value, bytes);
    return cudaSuccess;
}
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
// work runs when it is queued, so an event is complete as soon as it exists
inline cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned) {
    static int token;
    *event = &token;
    return cudaSuccess;
}
inline cudaError_t cudaEventDestroy(cudaEvent_t) { return cudaSuccess; }
inline cudaError_t cudaEventRecord(cudaEvent_t, cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaStreamWaitEvent(cudaStream_t, cudaEvent_t, unsigned) {
    return cudaSuccess;
}
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline cudaError_t cudaSetDevice(int device) {
    return device == 0 ? cudaSuccess : cudaErrorInvalidDevice;
}
inline cudaError_t cudaGetDeviceCount(int* count) {
    *count = 1;
    return cudaSuccess;
}
inline const char* cudaGetErrorString(cudaError_t e) {
    switch (e) {
        case cudaSuccess: return "no error";
        case cudaErrorMemoryAllocation: return "out of memory (host emulation)";
        case cudaErrorInvalidDevice: return "invalid device ordinal (host emulation has device 0)";
        default: return "unknown error (host emulation)";
    }
}
inline double atomicAdd(double* p, double v) {
    const double old = *p;
    *p += v;
    return old;
}
inline int atomicAdd(int* p, int v) {
    const int old = *p;
    *p += v;
    return old;
}

#endif  // __CUDACC__

#endif  // ASE_ELECTROLYTE_D3_CUDA_COMPAT_H
