"""OpenPCDet's compiled CUDA extensions, served by ascend-kit on any device (docs/compat-pcdet-ops.md).

SERVED maps each module name OpenPCDet imports (setup.py of open-mmlab/OpenPCDet, commit 8cacccec)
to the kit module that stands for it. Implemented: iou3d_nms_cuda (rotated BEV IoU / overlap, NMS)
and roiaware_pool3d_cuda (points in boxes, RoI-aware pooling); the others import and raise NotImplementedError
naming the function on use. `runtime_patch.patch_iou3d_nms_utils()` makes OpenPCDet's own
iou3d_nms_utils helpers (which call torch.cuda.FloatTensor and .cuda()) run on any device.
"""
SERVED = {
    "pcdet.ops.iou3d_nms.iou3d_nms_cuda": "ascend_ops.compat.pcdet_ops.iou3d_nms_cuda",
    "pcdet.ops.roiaware_pool3d.roiaware_pool3d_cuda": "ascend_ops.compat.pcdet_ops.roiaware_pool3d_cuda",
    "pcdet.ops.roipoint_pool3d.roipoint_pool3d_cuda": "ascend_ops.compat.pcdet_ops.roipoint_pool3d_cuda",
    "pcdet.ops.pointnet2.pointnet2_stack.pointnet2_stack_cuda": "ascend_ops.compat.pcdet_ops.pointnet2_stack_cuda",
    "pcdet.ops.pointnet2.pointnet2_batch.pointnet2_batch_cuda": "ascend_ops.compat.pcdet_ops.pointnet2_batch_cuda",
    "pcdet.ops.bev_pool.bev_pool_ext": "ascend_ops.compat.pcdet_ops.bev_pool_ext",
    "pcdet.ops.ingroup_inds.ingroup_inds_cuda": "ascend_ops.compat.pcdet_ops.ingroup_inds_cuda",
}
