"""`python -m ascend_ops.anchors`: drop-in for Sparse4D's tools/anchor_generator.py.

Same flags (--ann_file, --num_anchor, --detection_range, --output_file_name, --verbose) plus
--seed, --device, --overwrite, --max_iter, --tol. Differences from upstream: the run is seeded
(deterministic), an existing output file is kept unless --overwrite, and the default output name
is nuscenes_kmeans900.npy (the name Sparse4D's config loads; upstream's CLI default has a
leading underscore).
"""
import argparse
import sys


def add_arguments(parser):
    a = parser.add_argument
    a("--ann_file", "--ann-file", dest="ann_file", type=str, required=True,
      help="info pkl from the nuScenes converter (train split)")
    a("--num_anchor", "--num-anchor", dest="num_anchor", type=int, default=900)
    a("--detection_range", "--detection-range", dest="detection_range", type=float, default=55,
      help="keep boxes whose centre is within this 3-D distance (m)")
    a("--output_file_name", "--output-file-name", "--out", dest="output_file_name", type=str,
      default="nuscenes_kmeans900.npy")
    a("--verbose", action="store_true")
    a("--seed", type=int, default=0, help="K-means seed (results are deterministic per seed)")
    a("--device", type=str, default="cpu", choices=["auto", "cpu", "cuda", "npu"],
      help="where the Lloyd iterations run (default cpu: the fastest path for 3-D points)")
    a("--overwrite", action="store_true", help="replace an existing output file")
    a("--max_iter", "--max-iter", dest="max_iter", type=int, default=300)
    a("--tol", type=float, default=1e-5,
      help="stop when the summed squared centre shift <= tol * mean data variance (sklearn's "
           "rule; sklearn's default is 1e-4, ours is tighter because iterations are cheap); "
           "0 = until no label changes")
    a("--n_init", "--n-init", dest="n_init", type=int, default=3,
      help="k-means++ seedings tried on the seeding sample (best kept)")
    a("--no_progress", "--no-progress", dest="no_progress", action="store_true",
      help="no progress bar")
    return parser


def run(args):
    from .generator import AnchorError, get_kmeans_anchor
    try:
        get_kmeans_anchor(args.ann_file, args.num_anchor, args.detection_range, args.output_file_name,
                          verbose=args.verbose, seed=args.seed, device=args.device,
                          overwrite=args.overwrite, max_iter=args.max_iter, tol=args.tol,
                          progress_bar=not args.no_progress, n_init=args.n_init)
    except (AnchorError, FileNotFoundError, FileExistsError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv=None):
    parser = add_arguments(argparse.ArgumentParser(prog="python -m ascend_ops.anchors",
                                                   description="K-means anchors for Sparse4D"))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
