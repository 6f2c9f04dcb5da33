"""`ascend-kit anchors`: Sparse4D's K-means anchors from an info pkl (seeded, fast).

The same flags serve `python -m ascend_ops.anchors` (the drop-in for upstream
tools/anchor_generator.py). Building the parser imports neither torch nor the K-means."""
from ._common import CommandError, finite_float, positive_int


def add_arguments(parser):
    a = parser.add_argument
    a("--ann_file", "--ann-file", dest="ann_file", type=str, required=True,
      help="info pkl from the nuScenes converter (train split)")
    a("--num_anchor", "--num-anchor", dest="num_anchor", type=positive_int, default=900)
    a("--detection_range", "--detection-range", dest="detection_range", type=finite_float(0, strict_minimum=True),
      default=55, help="keep boxes whose centre is within this 3-D distance (m)")
    a("--output_file_name", "--output-file-name", "--out", dest="output_file_name", type=str,
      default="nuscenes_kmeans900.npy",
      help="output .npy (numpy adds '.npy' to a name without it: 'anchors' writes anchors.npy)")
    a("--verbose", action="store_true")
    a("--seed", type=int, default=0, help="K-means seed (results are deterministic per seed)")
    a("--device", type=str, default="cpu", choices=["auto", "cpu", "cuda", "npu"],
      help="where the Lloyd iterations run (default cpu: the fastest path for 3-D points)")
    a("--overwrite", action="store_true", help="replace an existing output file (refused without it)")
    a("--max_iter", "--max-iter", dest="max_iter", type=positive_int, default=300)
    a("--tol", type=finite_float(0), default=1e-5,
      help="stop when the summed squared centre shift <= tol * mean data variance (sklearn's "
           "rule; sklearn's default is 1e-4, ours is tighter because iterations are cheap); "
           "0 = until no label changes")
    a("--n_init", "--n-init", dest="n_init", type=positive_int, default=3,
      help="k-means++ seedings tried on the seeding sample (best kept)")
    a("--no_progress", "--no-progress", dest="no_progress", action="store_true",
      help="no progress bar")
    return parser


def run(args):
    from ascend_ops.anchors.generator import AnchorError, get_kmeans_anchor
    try:
        get_kmeans_anchor(args.ann_file, args.num_anchor, args.detection_range, args.output_file_name,
                          verbose=args.verbose, seed=args.seed, device=args.device,
                          overwrite=args.overwrite, max_iter=args.max_iter, tol=args.tol,
                          progress_bar=not args.no_progress, n_init=args.n_init)
    except (AnchorError, FileExistsError, ValueError, RuntimeError) as exc:
        raise CommandError(None, str(exc)) from None   # the message starts with the argument
    except FileNotFoundError as exc:
        if exc.filename:   # an OS error on a path: main names the argument
            raise
        raise CommandError(None, str(exc)) from None
    return 0


def register(sub):
    p = sub.add_parser("anchors", help="K-means anchors (Sparse4D's anchor_generator, seeded)",
                       description="K-means anchors for Sparse4D: same flags as upstream "
                                   "tools/anchor_generator.py plus --seed/--device/--overwrite")
    add_arguments(p)
    p.set_defaults(func=run)
