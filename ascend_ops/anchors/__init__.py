"""Anchors for sparse query detectors: seeded K-means and Sparse4D's anchor generator."""
from .kmeans import KMeansResult, inertia, kmeans, kmeanspp
from .generator import (AnchorError, anchors_from_boxes, get_kmeans_anchor, load_gt_boxes,
                        save_anchors, select_boxes)

__all__ = ["KMeansResult", "inertia", "kmeans", "kmeanspp", "AnchorError", "anchors_from_boxes",
           "get_kmeans_anchor", "load_gt_boxes", "save_anchors", "select_boxes"]
