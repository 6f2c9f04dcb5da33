"""Sparse4D's K-means anchors from an info pkl (drop-in for upstream tools/anchor_generator.py).

Upstream algorithm, kept exactly apart from the seeded, faster K-means:
1. gt_boxes of every info in data["infos"] are concatenated ([sum N, >= 7], all classes, no
   valid_flag filter);
2. boxes with ||(x, y, z)|| <= detection_range (3-D norm) are kept;
3. K-means with num_anchor clusters on the centres (columns 0..2);
4. anchor = zeros((num_anchor, 11)) float64 in Sparse4D's box layout
   X, Y, Z, W, L, H, SIN_YAW, COS_YAW, VX, VY, VZ: centres in 0..2, log of the mean of the
   kept boxes' columns 3..5 in 3..5 (same for every anchor), COS_YAW = 1, the rest 0.
"""
import os
import pickle

import numpy as np

from .kmeans import kmeans

X, Y, Z, W, L, H, SIN_YAW, COS_YAW, VX, VY, VZ = range(11)
ANCHOR_DIM = 11


class AnchorError(ValueError):
    """Bad input for anchor generation (message names the argument and what was expected)."""


def load_gt_boxes(ann_file):
    """All gt_boxes of an info pkl as one float64 array [sum N, C >= 7]."""
    if not os.path.isfile(ann_file):
        if os.path.exists(ann_file):
            raise AnchorError(f"--ann_file: {ann_file!r} is not a file")
        raise FileNotFoundError(f"--ann_file: no such file: {ann_file!r}")
    try:
        with open(ann_file, "rb") as f:
            data = pickle.load(f)
    except Exception as exc:  # truncated file, not a pickle, missing class
        raise AnchorError(f"--ann_file: cannot unpickle {ann_file!r}: {type(exc).__name__}: {exc}") from exc
    if not isinstance(data, dict) or "infos" not in data:
        got = sorted(data)[:8] if isinstance(data, dict) else type(data).__name__
        raise AnchorError(f"--ann_file: expected dict(infos=[...], metadata=...) as written by the "
                          f"nuScenes converter, got {got}")
    infos = data["infos"]
    if not isinstance(infos, (list, tuple)) or not infos:
        raise AnchorError(f"--ann_file: data['infos'] must be a non-empty list, got "
                          f"{type(infos).__name__} of length {len(infos) if hasattr(infos, '__len__') else '?'}")
    boxes = []
    for i, info in enumerate(infos):
        if not isinstance(info, dict) or "gt_boxes" not in info:
            raise AnchorError(f"--ann_file: infos[{i}] has no 'gt_boxes' (a test-split pkl has no "
                              f"annotations; use the train pkl)")
        try:
            b = np.asarray(info["gt_boxes"], dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise AnchorError(f"--ann_file: infos[{i}]['gt_boxes'] is not a numeric array ({exc})") from None
        if b.size == 0:
            continue
        if b.ndim != 2 or b.shape[1] < 7:
            raise AnchorError(f"--ann_file: infos[{i}]['gt_boxes'] must be [N, >=7] "
                              f"(x, y, z, l, w, h, yaw, ...), got shape {b.shape}")
        boxes.append(b[:, :7])
    if not boxes:
        raise AnchorError(f"--ann_file: {ann_file!r} holds no boxes")
    return np.concatenate(boxes, axis=0)


def select_boxes(gt_boxes, detection_range):
    """Boxes whose centre lies within detection_range metres (3-D Euclidean norm)."""
    if not np.isfinite(detection_range) or detection_range <= 0:
        raise AnchorError(f"--detection_range must be a positive number, got {detection_range}")
    bad = ~np.isfinite(gt_boxes[:, :6]).all(axis=1)
    if bad.any():
        raise AnchorError(f"gt_boxes: {int(bad.sum())} box(es) have NaN/inf centre or size "
                          f"(first at row {int(np.flatnonzero(bad)[0])}); fix the info pkl")
    distance = np.linalg.norm(gt_boxes[:, :3], axis=-1, ord=2)
    return gt_boxes[distance <= detection_range]


def anchors_from_boxes(gt_boxes, num_anchor=900, detection_range=55.0, seed=0, device="cpu",
                       max_iter=300, tol=1e-5, progress=None, n_init=3):
    """(anchor (num_anchor, 11) float64, KMeansResult) from gt_boxes [N, >= 7]."""
    if not isinstance(num_anchor, (int, np.integer)) or num_anchor < 1:
        raise AnchorError(f"--num_anchor must be a positive integer, got {num_anchor!r}")
    kept = select_boxes(np.asarray(gt_boxes, dtype=np.float64), detection_range)
    if kept.shape[0] == 0:
        raise AnchorError(f"no box centre lies within --detection_range {detection_range} m "
                          f"(of {len(gt_boxes)} boxes)")
    if kept.shape[0] < num_anchor:
        raise AnchorError(f"only {kept.shape[0]} boxes lie within --detection_range "
                          f"{detection_range} m, fewer than --num_anchor {num_anchor}")
    sizes = kept[:, [W, L, H]]
    flat = ~(sizes > 0).all(axis=1)
    if flat.any():   # log(mean size) of such boxes is -inf or NaN: anchors no detector can use
        first = int(np.flatnonzero(flat)[0])
        raise AnchorError(f"--ann_file: {int(flat.sum())} box(es) within --detection_range have a zero or negative "
                          f"size (columns 3..5; first: {sizes[first].tolist()}); fix the info pkl")
    result = kmeans(kept[:, [X, Y, Z]], num_anchor, seed=seed, device=device, max_iter=max_iter,
                    tol=tol, progress=progress, n_init=n_init)
    anchor = np.zeros((num_anchor, ANCHOR_DIM))
    anchor[:, [X, Y, Z]] = result.centers
    anchor[:, [W, L, H]] = np.log(kept[:, [W, L, H]].mean(axis=0))
    anchor[:, COS_YAW] = 1
    return anchor, result


def output_path(output_file_name):
    """The file np.save writes for `output_file_name`: '.npy' appended when the name lacks it
    ('anchors' -> 'anchors.npy'), as upstream's np.save call does."""
    name = os.fspath(output_file_name)
    return name if name.endswith(".npy") else name + ".npy"


def _check_output(output_file_name, overwrite):
    """The path that will be written; AnchorError / FileExistsError when it cannot or may not be."""
    path = output_path(output_file_name)
    if os.path.isdir(path):
        raise AnchorError(f"--output_file_name: {path!r} is a folder")
    if os.path.exists(path) and not overwrite:
        said = "" if path == os.fspath(output_file_name) else f" (numpy adds '.npy' to {output_file_name!r})"
        raise FileExistsError(f"--output_file_name: {path!r} exists{said}; pass --overwrite to replace it")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise FileNotFoundError(f"--output_file_name: directory {parent!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise AnchorError(f"--output_file_name: directory {parent!r} is not writable")
    return path


def save_anchors(anchor, output_file_name, overwrite=False):
    """np.save the anchors atomically (to output_path(output_file_name)); refuses to replace an
    existing file unless overwrite. Returns the path written."""
    from .._io import atomic_write
    path = _check_output(output_file_name, overwrite)
    with atomic_write(path, "wb") as f:
        np.save(f, anchor)
    return path


def _tqdm_progress(disable=False):
    """A progress callback for kmeans drawing one tqdm bar per stage; returns (callback, close)."""
    from tqdm import tqdm
    state = {"bar": None, "stage": None}

    def callback(stage, step, total, info):
        if state["stage"] != stage:
            if state["bar"] is not None:
                state["bar"].close()
            label = {"seed": "k-means++ seeding", "lloyd": "Lloyd (all points)"}.get(
                stage, f"Lloyd (warm start, {stage.split('-')[-1]} points)")
            state["bar"] = tqdm(total=total, desc=label, unit="it", disable=disable, leave=False)
            state["stage"] = stage
        bar = state["bar"]
        bar.update(step - bar.n)
        if "changed" in info:
            bar.set_postfix(changed=info["changed"], refresh=False)

    def close():
        if state["bar"] is not None:
            state["bar"].close()

    return callback, close


def get_kmeans_anchor(ann_file, num_anchor=900, detection_range=55, output_file_name="nuscenes_kmeans900.npy",
                      verbose=False, seed=0, device="cpu", overwrite=False, max_iter=300, tol=1e-5,
                      progress_bar=True, n_init=3):
    """Upstream-compatible entry point: load, cluster, save; returns the anchor array."""
    _check_output(output_file_name, overwrite)   # fail before the expensive part
    gt_boxes = load_gt_boxes(ann_file)
    callback, close = _tqdm_progress(disable=not progress_bar)
    try:
        anchor, result = anchors_from_boxes(gt_boxes, num_anchor, detection_range, seed=seed, device=device,
                                            max_iter=max_iter, tol=tol, progress=callback, n_init=n_init)
    finally:
        close()
    kept = int(np.sum(np.linalg.norm(gt_boxes[:, :3], axis=-1) <= detection_range))
    print(f"k-means: {kept} of {len(gt_boxes)} boxes within {detection_range} m, k = {num_anchor}, "
          f"seed = {seed}, {result.n_iter} Lloyd iterations on all points"
          f"{'' if result.converged else ' (max_iter reached)'}, inertia = {result.inertia:.6g}")
    if verbose:
        print(f"mean log size (cols 3..5): {anchor[0, [W, L, H]].tolist()}")
    path = save_anchors(anchor, output_file_name, overwrite=overwrite)
    print(f"saved {anchor.shape} anchors to {path}")
    return anchor
