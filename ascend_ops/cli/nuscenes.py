"""`ascend-kit nuscenes generate|convert`: synthetic nuScenes data and Sparse4D info pkls."""
from ._common import CommandError, nonnegative_int, positive_int


def _generate(args):
    from ascend_ops.nuscenes.synthetic import generate
    truth = generate(args.out, scenes=args.scenes, samples_per_scene=args.samples_per_scene, seed=args.seed,
                     version=args.version, objects_per_scene=args.objects_per_scene,
                     lidar_sweeps=args.lidar_sweeps, progress=not args.no_progress)
    n_boxes = sum(len(v["names"]) for v in truth.values())
    print(f"wrote {len(truth)} samples, {n_boxes} boxes ({args.version}) to {args.out}")
    return 0


VERSIONS = ("v1.0-mini", "v1.0-trainval", "v1.0-test")


def _versions(args):
    """--version, or every table folder found under --root (so `generate` then `convert` with
    their defaults work on the generated set)."""
    if args.version:
        return args.version.split(",")
    import os
    found = [v for v in VERSIONS if os.path.isdir(os.path.join(args.root, v))]
    if not found:
        raise CommandError("--root", f"no nuScenes table folder ({', '.join(VERSIONS)}) in {args.root}")
    return found


def _convert(args):
    from ascend_ops.nuscenes.converter import convert
    for version in _versions(args):
        convert(args.root, version=version, out_dir=args.out_dir, info_prefix=args.info_prefix,
                max_sweeps=args.max_sweeps, progress=not args.no_progress)
    return 0


def _guarded(fn):
    """Bad data or arguments (messages name the argument) -> CommandError; other OS errors on
    paths go to ascend_ops.cli.main, which names the argument."""
    def run(args):
        try:
            return fn(args)
        except FileNotFoundError as exc:
            if exc.filename:
                raise
            raise CommandError(None, exc) from None
        except (ValueError, KeyError) as exc:
            raise CommandError(None, exc.args[0] if isinstance(exc, KeyError) and exc.args else exc) from None
        except ImportError as exc:
            raise CommandError(None, f"{exc} (pip install nuscenes-devkit tqdm pillow)") from None
    return run


def register(sub):
    p = sub.add_parser("nuscenes", help="synthetic nuScenes generator and info-pkl converter")
    s = p.add_subparsers(dest="nuscenes_command", metavar="ACTION", required=True)
    g = s.add_parser("generate", help="write a small synthetic dataset in the official table format")
    g.add_argument("--out", required=True, help="dataroot to create")
    g.add_argument("--scenes", type=positive_int, default=10)
    g.add_argument("--samples-per-scene", type=positive_int, default=10)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--version", default="v1.0-mini", choices=list(VERSIONS))
    g.add_argument("--objects-per-scene", type=nonnegative_int, default=60)
    g.add_argument("--lidar-sweeps", type=nonnegative_int, default=2, help="LiDAR sweeps between key frames")
    g.add_argument("--no-progress", action="store_true")
    g.set_defaults(func=_guarded(_generate))
    c = s.add_parser("convert", help="info pkls in Sparse4D's layout (tools/nuscenes_converter.py)")
    c.add_argument("--root", "--root_path", dest="root", required=True, help="nuScenes dataroot")
    c.add_argument("--version", default=None, help="comma-separated, e.g. v1.0-trainval,v1.0-test (default: "
                   "every table folder found under --root)")
    c.add_argument("--out-dir", default=None, help="where the pkls go (default: --root)")
    c.add_argument("--info-prefix", "--info_prefix", dest="info_prefix", default="nuscenes")
    c.add_argument("--max-sweeps", "--max_sweeps", dest="max_sweeps", type=nonnegative_int, default=10)
    c.add_argument("--no-progress", action="store_true")
    c.set_defaults(func=_guarded(_convert))
