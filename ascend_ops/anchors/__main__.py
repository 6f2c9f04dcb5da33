"""`python -m ascend_ops.anchors`: drop-in for Sparse4D's tools/anchor_generator.py.

Same flags (--ann_file, --num_anchor, --detection_range, --output_file_name, --verbose) plus
--seed, --device, --overwrite, --max_iter, --tol. Differences from upstream: the run is seeded
(deterministic), an existing output file is kept unless --overwrite, and the default output name
is nuscenes_kmeans900.npy (the name Sparse4D's config loads; upstream's CLI default has a
leading underscore).
"""
import sys

from ascend_ops.cli.anchors import add_arguments, run  # noqa: F401  (the flags and the run live with the command line)


def main(argv=None):
    """Exit status 0, or 2 with one line naming the argument (as `ascend-kit anchors`)."""
    from ascend_ops.cli import run_command
    from ascend_ops.cli._common import Parser
    parser = add_arguments(Parser(prog="python -m ascend_ops.anchors", description="K-means anchors for Sparse4D"))
    parser.set_defaults(func=run, _parser=parser)
    return run_command(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
