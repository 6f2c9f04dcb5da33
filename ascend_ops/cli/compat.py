"""`ascend-kit compat install|uninstall|status [NAMES...]`: serve spconv, torchsparse,
torch_scatter and OpenPCDet's compiled ops from the kit (issue 13) through one import hook
(`ascend_kit_compat.pth` in site-packages). A real installed package is never shadowed unless
--force is given. Imports stay inside `run` (fast `--help`)."""
import json
import sys


def _print_status(st):
    for name, s in st.items():
        served = ", ".join(s["served"])
        print(f"{name}: {s['state']}  [serves {served}{' via ' + s['package'] if s['package'] else ''}]")


def run(args):
    from ascend_ops import compat
    try:
        if args.action == "install":
            if not args.names:
                print("ascend-kit compat: error: install: name at least one front end "
                      f"(known: {' '.join(sorted(compat.FRONT_ENDS))})", file=sys.stderr)
                return 2
            st = compat.install(args.names, force=args.force, site_dir=args.site_dir)
            print(f"wrote {compat._hook.pth_path(args.site_dir)}")
        elif args.action == "uninstall":
            st = compat.uninstall(args.names or None, site_dir=args.site_dir)
            print(f"updated {compat._hook.pth_path(args.site_dir)}")
        else:
            st = compat.status(args.site_dir)
            if args.names:
                st = {k: v for k, v in st.items() if k in args.names}
    except (compat.RefusedError, ValueError, OSError) as e:
        msg = str(e).removeprefix("ascend-kit compat: ")
        print(f"ascend-kit compat: error: {msg}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(st, indent=2))
    else:
        _print_status(st)
    return 0


def register(sub):
    p = sub.add_parser("compat", help="serve spconv / torchsparse / torch_scatter / pcdet ops from the kit "
                                      "(import hook)")
    p.add_argument("action", choices=("install", "uninstall", "status"))
    p.add_argument("names", nargs="*", help="front ends (spconv, torchsparse, torch_scatter, pcdet-ops, ...)")
    p.add_argument("--force", action="store_true",
                   help="install even over a real installed package of the same name (shadowing it)")
    p.add_argument("--site-dir", default=None,
                   help="site-packages directory holding the hook (default: this environment's)")
    p.add_argument("--json", action="store_true", help="print the status as JSON")
    p.set_defaults(func=run)
