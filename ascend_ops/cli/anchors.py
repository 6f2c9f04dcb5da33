"""`ascend-kit anchors`: Sparse4D's K-means anchors from an info pkl (seeded, fast)."""


def run(args):
    from ascend_ops.anchors.__main__ import run as run_anchors
    return run_anchors(args)


def register(sub):
    from ascend_ops.anchors.__main__ import add_arguments
    p = sub.add_parser("anchors", help="K-means anchors (Sparse4D's anchor_generator, seeded)",
                       description="K-means anchors for Sparse4D: same flags as upstream "
                                   "tools/anchor_generator.py plus --seed/--device/--overwrite")
    add_arguments(p)
    p.set_defaults(func=run)
