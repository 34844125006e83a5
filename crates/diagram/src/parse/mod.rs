//! Front ends: einsum signatures, and the circuit text format (`.ncd`) that people write,
//! load, save and diff.
//!
//! # The text format
//!
//! One statement per line; `#` starts a comment; spacing is free. A circuit names its axes
//! and values, and each operation is a line `name = op arguments`. Parameters are created by
//! the operations that own them, named after the operation (`L1.W`, `L1.b`, `ln.gain`), so
//! a file states only what a diagram shows.
//!
//! ```text
//! # Fig. 19 MLP
//! circuit mlp
//! size b = 2
//! input image [b:batch x=28 y=28]
//! flat  = reshape image x y -> i            # i gets the size x*y = 784
//! h1    = linear+ flat i -> n1=512 ; relu   # `;` feeds the result to the next op
//! h2    = linear+ h1 n1 -> n2=512 ; relu
//! out   = linear+ h2 n2 -> o=10
//! probs = softmax out over o
//! output probs
//! ```
//!
//! **Axes** are named. An axis is introduced where it first appears (`n1=512`, `k = m/h`,
//! `x:spatial=28`) or on an `axis` line; later mentions of the same name are the same axis.
//! Without a size an axis has the size symbol of its own name (`b` has size `b`). Two axes
//! with the same display name are told apart by a tag glued to the name, `kH#5`, `kH#9`:
//! the display name is `kH` for both. [`text::save`] tags every shared name this way.
//!
//! **Values** are named by the line that computes them; in a chain `a = op1 … ; op2 …` the
//! last operation's value is `a` and earlier ones are `a.op1`. Inside a block, names get
//! the block's prefix (`Block[1].ln1`); a name is looked up in the innermost block first,
//! then outwards; a name defined as `/name` takes no prefix. Names that are not bare words
//! are quoted: `"Block(1,N)"`, `"Σ_s B"`.
//!
//! ```text
//! file       = { line } ;
//! line       = [ statement ] [ "#" comment ] newline ;
//! statement  = "circuit" name
//!            | "size" name [ "=" int ]                        (* default value *)
//!            | "constraint" size ( "==" | ">=" | "|" ) size   (* "|": divides *)
//!            | "axis" axis { "," axis }
//!            | "input" name "[" { axis } "]" [ "index" ]
//!            | "param" [ "/" ] name "[" { axis } "]" [ "init" init ] [ "shared" ]
//!            | "block" name [ "[" int "of" int "]" | "repeat" int [ "as" name [ "from" int ]
//!                [ "with" name "=" name { "," name "=" name } ] ] ] [ "shared" ] "{"
//!            | "}"
//!            | "output" name { name }
//!            | [ "/" ] name "=" op { ";" op } ;        (* each op after ";" reads the last *)
//! axis       = name [ "#" digits ] [ ":" kind ] [ "=" size ] ;
//! kind       = "batch" | "feature" | "token" | "spatial" | "kernel" | "head" ;
//! size       = term { ( "+" | "-" ) term } ;  term = atom { ( "*" | "/" | "//" ) atom } ;
//! atom       = int | name | "(" size ")" ;     (* "/" exact, "//" floor division *)
//! init       = "fanin" "(" { axis } ")" | "zeros" | "ones" | "normal" | "const" "(" real ")" ;
//! op         = ( "linear" | "linear+" ) X { axis } "->" { axis } [ "per" { axis } ]
//!                                                     [ "using" name [ name ] ]
//!            | "einsum" '"' signature '"' X { X }       (* "y k h, x k h -> y x h" *)
//!            | ( "relu" | "tanh" | "sigmoid" | "gelu" | "gelu_tanh" | "gelu_erf" | "silu"
//!              | "erf" | "exp" | "square" | "sqrt" | "rsqrt" | "reciprocal" | "sin" | "cos" ) X
//!            | "scale" X ( real | atom "^" real )        (* c·x, or x·k^p *)
//!            | ( "add" | "mul" ) X X
//!            | ( "softmax" | "sum" | "mean" | "max" ) X "over" axis { axis }
//!            | "norm" X "over" { axis } [ ( "affine" | "fixed" ) { axis } ] [ "eps" real ]
//!                                                     [ "using" name name ]
//!            | "rmsnorm" X "over" axis { axis } [ "eps" real ] [ "using" name ]
//!            | "rope" X axis axis [ "base" real ]      (* positions, rotated axis *)
//!            | "topk" X "over" axis int              (* −∞ outside the k largest *)
//!            | "layernorm" X "over" { axis } | "batchnorm" X "per" { axis }
//!            | "copy" X int
//!            | "gather" X axis "at" X                  (* the axis replaced by the index's axes *)
//!            | "select" X axis int                     (* one position; the axis is dropped *)
//!            | "split" X axis "->" axis axis { axis }  (* outputs NAME.0, NAME.1, … *)
//!            | "mask" X axis axis ( "causal" | [ "below" int ] [ "above" int ] )
//!                                     (* −∞ where col − row is outside [−below, above] *)
//!            | ( "window" | "window_t" ) X win { win }
//!            | "concat" X { X } "along" axis { axis } "->" axis
//!            | "reshape" X { axis } "->" { axis }
//!            | "permute" X { axis }
//!            | "embed" X axis "->" { axis } [ "using" name ]
//!            | "constant" real "[" { axis } "]"
//!            | "sinusoid" "[" axis axis "]" [ "base" real ]  (* sin/cos positions, no input *)
//!            | "learned" "[" { axis } "]" [ "init" init ]
//!            | "save" label X | "load" label ;
//! win        = "(" axis "by" axis [ "stride" int ] [ "dilation" int ] [ "pad" int ]
//!              [ "->" axis ] ")" ;
//! ```
//!
//! `X` is a value name, left out after `;`. Operation details:
//! - `linear+` adds a bias. `per g` indexes the weight by the input's axis `g` (grouped
//!   convolution, one map per head). A map `n -> n` gets a twin input axis `n_in` for its
//!   weight. `using W B` takes existing parameters instead (weight sharing; declare them
//!   with `param … shared`); so do `norm … using G S` and `embed … using T`.
//! - `window x (H by kH=3 stride 2 pad 1 -> H2)` unfolds `H` into output positions `H2` and
//!   kernel offsets `kH`; a new output axis gets its size from the window formula, and
//!   `-> H2` may be left out when the size is kept. `window_t` is the transpose with the same
//!   geometry: it reads `H2` and `kH` and writes `H`.
//! - `norm x over S affine A` normalises over `S` with a learned gain and shift over `A`;
//!   `fixed A` records `A` without learning them. `layernorm x over m` and
//!   `batchnorm x per c` are the usual cases. The default `eps` is `1e-5`.
//! - `learned [t m]` is a learned array entering as a value (a positional embedding).
//! - `concat a b along i j -> u` joins `a` along `i` and `b` along `j` into `u` (of size
//!   `i + j` unless given).
//! - `block Layer repeat 3 { … }` runs its body three times, as the block instances
//!   `Layer[0]`, `Layer[1]`, `Layer[2]`. Inside, a name not yet defined in this iteration
//!   is looked up in the previous one, so `x = add x y` carries `x` from iteration to
//!   iteration; after the block, `Layer.x` is the last iteration's `x`. With `shared`,
//!   every iteration uses the first one's parameters. `block Layer [1 of 3] { … }` is
//!   iteration 1 of 3 alone: [`text::save`] writes the instances out so when they cannot be
//!   written once (below).
//! - `block Down repeat 4 as λ { … }` indexes the iterations, as the paper's U-Net does:
//!   λ = 1, 2, 3, 4 (`as λ from 0` starts at 0). In the body, `{expr}` is replaced by its
//!   value for each iteration, in a name or alone (`c{λ}`, `C{5-λ}`, `"Up[{λ-1}].x"`,
//!   `kH#{2*λ+7}`), and a bare `λ` by the number, so sizes may use it: `c{λ}=c*2^λ`.
//!   `expr` has whole numbers, the index, `+ - * / ^` and parentheses (`/` must divide);
//!   the index of a block nested inside needs another name. A whole power of a whole
//!   number (`2^3`) is folded wherever a size is written. `with x = v` (after `as λ`) makes
//!   the first iteration read the value `v` where later ones read the previous `x`: the
//!   loop's input. [`text::save`] writes a repeated block this way when its instances differ
//!   only by numbers affine in λ and that value, and loading gives the same circuit back
//!   (the zoo's U-Net, transformer, ViT and ResNet blocks).
//!
//! [`text::save`] writes a canonical form: the header (`circuit`, every `size`, every
//! `constraint`), one `axis` line per axis in id order, then inputs, explicit parameters and
//! operations in execution order, one per line, a repeated block once as a λ repeat where it
//! can be (else each instance), and the `output` line. Loading it gives back the same
//! circuit, ids included.
//!
//! The words `over per by using stride dilation pad affine fixed eps init shared index of
//! along` end lists, so a name spelled like one must be quoted.
//!
//! # Implementation
//!
//! The grammar is line-oriented and every statement is a flat sequence of tokens, so a small
//! hand-written lexer (`lexer`) and a recursive-descent parser over one line's tokens
//! (`loader`) are shorter than a parser-combinator grammar, need no dependency, and give
//! exact line and column positions for free. The parser drives the [`crate::builder`], so
//! a file is type-checked by the same code as the Rust API.

mod error;
mod lambda_print;
mod lexer;
mod loader;
mod printer;
pub mod signature;
pub mod text;
