// points_in_boxes CUDA launchers (defined in points_in_boxes_cuda.cu, called by
// points_in_boxes_cuda_binding.cpp). Torch-free: raw pointers, sizes and a stream. All arrays are
// contiguous with element type `type` (float32 or float64 only); `trig` holds (cos(-heading),
// sin(-heading)) per box, computed by the binding with at::cos / at::sin (CUDA's cosf / sinf, as in
// upstream's device code).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "common/cuda_utils.h"

namespace ascend_ops {
namespace points_in_boxes {

// out[i, j] (int32 [m, n]) = point j of points [n, c1] inside box i of boxes [m, c2] (bev test, or the
// 3d test when with_z); one thread per (box, point) as upstream.
cudaError_t launch_mask(ElementType type, bool with_z, double margin, const void* points, int64_t n, int64_t c1,
                        const void* boxes, const void* trig, int64_t m, int64_t c2, int32_t* out, cudaStream_t stream);

// out[b, j] (int32 [bs, n]) = first k with point j of points [bs, n, 3] inside box k of boxes [bs, t, 7],
// else -1; one thread per (b, point) looping the boxes in order (as upstream's points_in_boxes_kernel).
cudaError_t launch_first(ElementType type, double margin, const void* points, int64_t bs, int64_t n, const void* boxes,
                         const void* trig, int64_t t, int32_t* out, cudaStream_t stream);

}  // namespace points_in_boxes
}  // namespace ascend_ops
