//! The paper's architectures, each written once with the builder. Every function returns a
//! complete circuit with default sizes (the paper's), which can be rebound.
//!
//! ```
//! let c = nc_diagram::zoo::get("mha").unwrap();
//! let cost = nc_diagram::cost::summarize(&c, &c.default_bindings(), 4).unwrap();
//! assert_eq!(cost.params, 32_768);
//! ```

mod attention;
mod conv;
mod gpt2;
mod llama;
mod mlp;
mod moe;
mod ncap;
mod resnet;
mod rnn;
mod unet;

pub use attention::{mha, sdpa, transformer, transformer_block, visual_attention, vit};
pub use conv::conv_family;
pub use gpt2::gpt2_block;
pub use llama::llama_block;
pub use mlp::mlp;
pub use moe::moe_block;
pub use ncap::ncap_swimmer;
pub use resnet::resnet;
pub use rnn::rnn_cell;
pub use unet::{unet_drawn, unet_ronneberger};

use crate::ir::Circuit;

/// The zoo: (name, one-line description).
pub const MODELS: &[(&str, &str)] = &[
    ("mlp", "MLP of Fig. 19: 784 → 512 → 512 → 10, ReLU, softmax"),
    ("sdpa", "scaled dot-product attention (Fig. 20)"),
    (
        "mha",
        "multi-head attention of Fig. 21, bias-free, axes m, k, h, y, x",
    ),
    (
        "transformer_block",
        "pre-norm transformer block: LN, self-attention, residual, LN, GELU MLP, residual",
    ),
    (
        "gpt2_block",
        "GPT-2 block: LN, fused QKV split in three, causal attention, GELU MLP, biases",
    ),
    (
        "llama_block",
        "LLaMA block: RMSNorm, RoPE, grouped-query causal attention, SwiGLU MLP, no biases",
    ),
    (
        "moe_block",
        "Mixtral sparse MoE block: RMSNorm, router, top-2 of 4 SwiGLU experts, residual",
    ),
    (
        "transformer",
        "token embedding, N pre-norm blocks (own weights each), final LN, unembedding",
    ),
    (
        "conv",
        "convolution family: strided, dilated, grouped, depthwise, transposed",
    ),
    (
        "resnet",
        "identity ResNet of Fig. 26 as drawn (N = 3, widths 16, 64, 128, 256)",
    ),
    (
        "unet",
        "U-Net of Fig. 27 as drawn (3 up blocks: C1 saved, never loaded)",
    ),
    (
        "unet_ronneberger",
        "Ronneberger's original U-Net (64 … 1024, valid convolutions, crops)",
    ),
    (
        "vit",
        "vision transformer: patch window ★ + linear, positional embedding, blocks, mean pool, head",
    ),
    (
        "visual_attention",
        "the notebook's visual attention (kernel 3, stride 3 on 16×16: 16 → 15)",
    ),
    ("rnn_cell", "vanilla RNN cell h' = tanh(W_x x + W_h h + b)"),
    (
        "ncap_swimmer",
        "NCAP swimmer: B-neurons and muscles per joint and side, 4 shared weights",
    ),
];

/// The names of the zoo models.
pub fn names() -> Vec<&'static str> {
    MODELS.iter().map(|m| m.0).collect()
}

/// A zoo model by name.
pub fn get(name: &str) -> Option<Circuit> {
    Some(match name {
        "mlp" => mlp(),
        "sdpa" => sdpa(),
        "mha" => mha(),
        "transformer_block" => transformer_block(),
        "transformer" => transformer(),
        "gpt2_block" => gpt2_block(),
        "llama_block" => llama_block(),
        "moe_block" => moe_block(),
        "conv" => conv_family(),
        "resnet" => resnet(),
        "unet" => unet_drawn(),
        "unet_ronneberger" => unet_ronneberger(),
        "vit" => vit(),
        "visual_attention" => visual_attention(),
        "rnn_cell" => rnn_cell(),
        "ncap_swimmer" => ncap_swimmer(),
        _ => return None,
    })
}

/// Names every kernel axis after the grid its window makes (`kH_2a` for a window onto
/// `H_2a`; a transposed window's after the grid it sums onto; a crop's `kcH_…`), once the
/// grids have their final names: the builder derives kernel names from the names it saw,
/// which a zoo model renames afterwards.
pub(crate) fn name_kernels(c: &mut Circuit) {
    let mut names = Vec::new();
    for n in &c.nodes {
        let (axes, transposed) = match &n.op {
            crate::ir::Op::Window(w) => (&w.axes, false),
            crate::ir::Op::WindowT(w) => (&w.axes, true),
            _ => continue,
        };
        for a in axes {
            let grid = if transposed { a.input } else { a.output };
            let crop = a.padding < 0 && c.axis(a.kernel).size.as_lit() == Some(1);
            let prefix = if crop { "kc" } else { "k" };
            names.push((a.kernel, format!("{prefix}{}", c.axis(grid).name)));
        }
    }
    for (k, name) in names {
        rename(c, k, &name);
    }
}

/// Gives an axis a display name: names only, never a size or an identity.
pub(crate) fn rename(c: &mut Circuit, a: crate::ir::AxisId, name: &str) {
    if let Some(ax) = c.axes.get_mut(a.ix()) {
        ax.name = name.to_owned();
    }
}

/// Zoo circuits are written by this crate and known to build; a failure is a bug here.
pub(crate) fn built(r: Result<Circuit, crate::builder::BuildError>) -> Circuit {
    match r {
        Ok(c) => c,
        Err(e) => panic!("zoo model failed to build: {e}"),
    }
}
