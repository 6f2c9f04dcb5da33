"""PNG plots for `ascend-kit compare`: loss curves overlaid, per-step relative loss
difference, throughput. Needs matplotlib (pip install matplotlib)."""
import os

from .._io import atomic_write


def _save(fig, out_dir, name):
    with atomic_write(os.path.join(out_dir, name), "wb") as f:
        fig.savefig(f, format="png", dpi=100)


def write_plots(verdict, out_dir):
    """Write loss.png, loss_rel_diff.png, throughput.png into out_dir; return {title: filename}.
    Raises ImportError with an install hint when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("matplotlib is not installed (pip install matplotlib)") from None
    n, g = verdict.npu, verdict.gpu
    out = {}

    fig, ax = plt.subplots(figsize=(7, 4))
    for r, label in ((n, "NPU"), (g, "GPU")):
        pts = [(s, v) for s, v in r["loss_curve"] if v is not None]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], label=f"{label} ({r['device']['name']})", lw=1)
    ax.set_xlabel(n["steps"]["unit"])
    ax.set_ylabel("loss")
    ax.set_title(f"{n['model']}: training loss")
    ax.legend()
    fig.tight_layout()
    _save(fig, out_dir, "loss.png")
    plt.close(fig)
    out["Loss curves"] = "loss.png"

    loss = verdict.loss
    fig, ax = plt.subplots(figsize=(7, 3.5))
    finite = [(s, r) for s, r in zip(loss["steps"], loss["rel"]) if r is not None and r != float("inf")]
    if finite:
        ax.plot([p[0] for p in finite], [p[1] for p in finite], lw=1, color="tab:purple")
    ax.axhline(verdict.thresholds["loss_rel_max"], color="tab:red", ls="--", lw=1, label="loss_rel_max")
    if loss["first_bad_step"] is not None:
        ax.axvline(loss["first_bad_step"], color="tab:orange", ls=":", lw=1, label=f"first bad step {loss['first_bad_step']}")
    ax.set_xlabel(n["steps"]["unit"])
    ax.set_ylabel("|NPU - GPU| / |GPU|")
    ax.set_title("relative loss difference per step")
    ax.legend()
    fig.tight_layout()
    _save(fig, out_dir, "loss_rel_diff.png")
    plt.close(fig)
    out["Relative loss difference"] = "loss_rel_diff.png"

    fig, ax = plt.subplots(figsize=(4.5, 3.5))
    vals = [verdict.throughput["npu"] or 0.0, verdict.throughput["gpu"] or 0.0]
    ax.bar(["NPU", "GPU"], vals, color=["tab:red", "tab:green"])
    ax.set_ylabel("samples/s")
    ratio = verdict.throughput["ratio"]
    ax.set_title("throughput" + (f" (NPU/GPU {ratio:.2f})" if ratio else ""))
    fig.tight_layout()
    _save(fig, out_dir, "throughput.png")
    plt.close(fig)
    out["Throughput"] = "throughput.png"
    return out
