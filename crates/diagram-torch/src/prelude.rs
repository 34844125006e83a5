//! The Python helper functions a generated module may use, each emitted only when used.
//! Each is the textbook form of its operation, so a reader can check it by eye.

/// A helper: its name and its Python source.
pub(crate) struct Helper {
    pub name: &'static str,
    pub source: &'static str,
}

pub(crate) const NORM: Helper = Helper {
    name: "normalize",
    source: r#"def normalize(x, dims, eps):
    """(x - mean) / sqrt(var + eps) over `dims`, the variance without Bessel's correction."""
    mean = x.mean(dims, keepdim=True)
    var = (x - mean).square().mean(dims, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps)
"#,
};

pub(crate) const SOFTMAX: Helper = Helper {
    name: "softmax",
    source: r#"def softmax(x, dims):
    """Softmax over several axes jointly."""
    e = torch.exp(x - x.amax(dims, keepdim=True))
    return e / e.sum(dims, keepdim=True)
"#,
};

pub(crate) const BAND: Helper = Helper {
    name: "band",
    source: r#"def band(rows, cols, below, above, device=None):
    """True where col - row lies in [-below, above] (None: unbounded); causal: above = 0."""
    d = torch.arange(cols, device=device)[None, :] - torch.arange(rows, device=device)[:, None]
    keep = torch.ones(rows, cols, dtype=torch.bool, device=device)
    if below is not None:
        keep &= d >= -below
    if above is not None:
        keep &= d <= above
    return keep
"#,
};

pub(crate) const WINDOW: Helper = Helper {
    name: "window",
    source: r#"def window(x, dim, size, stride, dilation, pad_lo, pad_hi):
    """Unfold `dim` into (output position, kernel offset): the offset axis is appended last,
    y[o, k] = x[stride*o + dilation*k - pad_lo], zero outside x (negative pads crop)."""
    x = F.pad(x.movedim(dim, -1), (pad_lo, pad_hi)).movedim(-1, dim)
    return x.unfold(dim, dilation * (size - 1) + 1, stride)[..., ::dilation]
"#,
};

pub(crate) const WINDOW_T: Helper = Helper {
    name: "window_t",
    source: r#"def window_t(x, dim, kdim, length, stride, dilation, pad_lo):
    """The transpose of `window`: y[i] = sum of x[o, k] over stride*o + dilation*k - pad_lo = i,
    for i < length; positions `dim` and offsets `kdim` leave, the new axis is appended last."""
    x = x.movedim((dim, kdim), (-2, -1))
    n_out, n_k = x.shape[-2], x.shape[-1]
    lo = max(0, -pad_lo)
    span = stride * (n_out - 1) + dilation * (n_k - 1) + 1
    y = x.new_zeros(x.shape[:-2] + (lo + max(span, pad_lo + length),))
    for k in range(n_k):
        start = lo + dilation * k
        y[..., start:start + stride * (n_out - 1) + 1:stride] += x[..., k]
    return y[..., lo + pad_lo:lo + pad_lo + length]
"#,
};

pub(crate) const ROPE: Helper = Helper {
    name: "rope",
    source: r#"def rope(x, pos_dim, dim, base):
    """Rotary embedding, rotate-half form: entry j < d/2 pairs with j + d/2, and the pair at
    position p turns by the angle p * base^(-2j/d)."""
    x = x.movedim((pos_dim, dim), (-2, -1))
    n, d = x.shape[-2], x.shape[-1]
    j = torch.arange(d // 2, dtype=torch.float64, device=x.device)
    angle = torch.arange(n, dtype=torch.float64, device=x.device)[:, None] * base ** (-2 * j / d)
    cos, sin = torch.cos(angle).to(x.dtype), torch.sin(angle).to(x.dtype)
    a, b = x[..., : d // 2], x[..., d // 2 :]
    y = torch.cat([a * cos - b * sin, b * cos + a * sin], dim=-1)
    return y.movedim((-2, -1), (pos_dim, dim))
"#,
};

pub(crate) const TOPK: Helper = Helper {
    name: "top_k",
    source: r#"def top_k(x, dim, k):
    """Keeps the k largest entries along `dim`, -inf elsewhere (before a softmax: routing)."""
    keep = torch.zeros_like(x, dtype=torch.bool).scatter(dim, x.topk(k, dim).indices, True)
    return x.masked_fill(~keep, float("-inf"))
"#,
};

pub(crate) const SINUSOID: Helper = Helper {
    name: "sinusoid",
    source: r#"def sinusoid(n, d, base):
    """The transformer's fixed positions, [n, d]: entry (p, 2i) is sin(p * base^(-2i/d)) and
    (p, 2i + 1) is cos(p * base^(-2i/d))."""
    i = torch.arange(0, d, 2, dtype=torch.float64)
    angle = torch.arange(n, dtype=torch.float64)[:, None] * base ** (-i / d)
    table = torch.stack([torch.sin(angle), torch.cos(angle)], dim=-1).reshape(n, d)
    return table.to(torch.get_default_dtype())
"#,
};

pub(crate) const LOAD: Helper = Helper {
    name: "load_safetensors",
    source: r#"def load_safetensors(module, path):
    """Fills the module's parameters from a safetensors file, each by its circuit name."""
    from safetensors.torch import load_file

    tensors = load_file(str(path))
    with torch.no_grad():
        for name, attr in module.PARAMS.items():
            p = getattr(module, attr)
            if name not in tensors:
                raise KeyError(f"{path}: no tensor `{name}` (parameter `{attr}`)")
            t = tensors[name]
            if tuple(t.shape) != tuple(p.shape):
                raise ValueError(
                    f"{path}: tensor `{name}` has shape {tuple(t.shape)}, "
                    f"parameter `{attr}` needs {tuple(p.shape)}"
                )
            p.copy_(t)
"#,
};
