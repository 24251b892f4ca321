"""`nn.utils`, as `torch.nn.utils`: gradient clipping (defined in nn/clip.py)."""

from .clip import clip_grad_norm_, clip_grad_value_

__all__ = ["clip_grad_norm_", "clip_grad_value_"]
