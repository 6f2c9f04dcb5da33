"""Compiled OpenPCDet modules the ports import but never call (commit 8cacccec): every function
name of their pybind modules exists and raises NotImplementedError naming it."""
from ._args import not_served

WHY = "not used by the ported models; ascend-kit serves this module so that imports succeed"

FUNCTIONS = {
    # pcdet/ops/roipoint_pool3d/src/roipoint_pool3d.cpp:57-59
    "pcdet.ops.roipoint_pool3d.roipoint_pool3d_cuda": ("forward",),
    # pcdet/ops/pointnet2/pointnet2_stack/src/pointnet2_api.cpp:12-31
    "pcdet.ops.pointnet2.pointnet2_stack.pointnet2_stack_cuda": (
        "ball_query_wrapper", "voxel_query_wrapper", "farthest_point_sampling_wrapper",
        "stack_farthest_point_sampling_wrapper", "group_points_wrapper", "group_points_grad_wrapper",
        "three_nn_wrapper", "three_interpolate_wrapper", "three_interpolate_grad_wrapper",
        "query_stacked_local_neighbor_idxs_wrapper_stack", "query_three_nn_by_stacked_local_idxs_wrapper_stack",
        "vector_pool_wrapper", "vector_pool_grad_wrapper"),
    # pcdet/ops/pointnet2/pointnet2_batch/src/pointnet2_api.cpp:10-24
    "pcdet.ops.pointnet2.pointnet2_batch.pointnet2_batch_cuda": (
        "ball_query_wrapper", "group_points_wrapper", "group_points_grad_wrapper", "gather_points_wrapper",
        "gather_points_grad_wrapper", "farthest_point_sampling_wrapper", "three_nn_wrapper",
        "three_interpolate_wrapper", "three_interpolate_grad_wrapper"),
    # pcdet/ops/bev_pool/src/bev_pool.cpp:89-93
    "pcdet.ops.bev_pool.bev_pool_ext": ("bev_pool_forward", "bev_pool_backward"),
    # pcdet/ops/ingroup_inds/src/ingroup_inds.cpp:52-54
    "pcdet.ops.ingroup_inds.ingroup_inds_cuda": ("forward",),
}


def populate(module_globals, served_name):
    """Define every function of `served_name` in a stub module's namespace."""
    names = FUNCTIONS[served_name]
    for name in names:
        module_globals[name] = not_served(served_name, name, WHY)
    module_globals["__all__"] = list(names)
