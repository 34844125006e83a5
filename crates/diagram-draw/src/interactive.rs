//! The interactive gallery: each model's drawing, in which clicking a named block expands it
//! in place, and clicking the title of an expanded block collapses it again.
//!
//! A page cannot lay out a circuit, so every state a click can reach is drawn beforehand: the
//! fitted drawing, and for each block it shows (first instance of each name) the same drawing
//! with that one block toggled. Transparent rectangles over the blocks ([`crate::scene::Hot`])
//! name the state a click leads to; a few lines of script show it. Opening the page with
//! `#selftest` clicks through every model and writes the verdict into `data-selfcheck` on the
//! body, which a headless browser can read back (`tests/interactive.rs`).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::LayoutOptions;
use crate::fit::base_name;
use crate::model::{Diagram, Item};
use crate::scene::{Hot, Scene, num};
use crate::svg::esc;

/// One model's states: the SVG of each, with its click targets, state 0 shown first.
#[derive(Clone, Debug)]
pub struct Model {
    /// The model's name.
    pub name: String,
    /// The SVG of each state, click targets included.
    pub states: Vec<String>,
}

/// Blocks of `items` as `(label in a collapsed box, name)`, depth first.
fn labels(items: &[Item], out: &mut Vec<(String, String)>) {
    for i in items {
        if let Item::Block(b) = i {
            out.push((format!("{}{}", b.name, b.params), b.name.clone()));
            labels(&b.body, out);
        }
    }
}

/// Flips whether the first block named `name` is drawn expanded.
fn toggle(items: &mut [Item], name: &str) -> bool {
    for i in items {
        if let Item::Block(b) = i {
            if b.name == name {
                b.expanded = !b.expanded;
                return true;
            }
            if toggle(&mut b.body, name) {
                return true;
            }
        }
    }
    false
}

/// The block a click target stands for.
fn block_of(h: &Hot, names: &[(String, String)]) -> Option<String> {
    if h.expanded {
        return Some(h.label.clone());
    }
    names
        .iter()
        .find(|(l, _)| *l == h.label)
        .map(|(_, n)| n.clone())
}

/// The SVG of `scene` with a click target over each block in `links` (`(target, state)`).
fn with_targets(scene: &Scene, links: &[(&Hot, usize)]) -> String {
    let svg = crate::svg::write(scene);
    let mut rects = String::new();
    for (h, to) in links {
        let [x, y, w, hh] = h.rect;
        let (class, verb) = if h.expanded {
            ("hot open", "collapse")
        } else {
            ("hot", "expand")
        };
        let _ = writeln!(
            rects,
            "<rect class=\"{class}\" data-to=\"{to}\" x=\"{}\" y=\"{}\" width=\"{}\" \
             height=\"{}\"><title>{verb} {}</title></rect>",
            num(x),
            num(y),
            num(w),
            num(hh),
            esc(&h.label)
        );
    }
    match svg.rfind("</svg>") {
        Some(i) => format!("{}{rects}{}", &svg[..i], &svg[i..]),
        None => svg,
    }
}

/// Every state of one model's drawing; see the module documentation.
#[must_use]
pub fn model(name: &str, d: &Diagram, opt: &LayoutOptions) -> Model {
    let (drawn, first) = crate::fit::fitted(d, opt);
    let mut names = Vec::new();
    labels(&drawn.items, &mut names);
    let mut done = BTreeSet::new();
    let mut links = Vec::new();
    let mut states = Vec::new();
    for h in &first.hot {
        let Some(block) = block_of(h, &names) else {
            continue;
        };
        if base_name(&block) != block || !done.insert(block.clone()) {
            continue;
        }
        let mut t = drawn.clone();
        if !toggle(&mut t.items, &block) {
            continue;
        }
        let scene = crate::layout::layout(&t, opt);
        // the same block in the toggled drawing leads back to the first state
        let back: Vec<(&Hot, usize)> = scene
            .hot
            .iter()
            .filter(|g| g.expanded != h.expanded && block_of(g, &names).as_ref() == Some(&block))
            .take(1)
            .map(|g| (g, 0))
            .collect();
        states.push(with_targets(&scene, &back));
        links.push((h, states.len()));
    }
    let mut all = vec![with_targets(&first, &links)];
    all.extend(states);
    Model {
        name: name.to_owned(),
        states: all,
    }
}

const SCRIPT: &str = r#"
function show(fig, to) {
  for (const v of fig.querySelectorAll('.state')) v.hidden = v.dataset.state !== to;
}
document.addEventListener('click', (e) => {
  const r = e.target.closest('rect.hot');
  if (r) show(r.closest('figure'), r.dataset.to);
});
function selftest() {
  let ok = 0; const bad = [];
  for (const fig of document.querySelectorAll('figure')) {
    const shown = () => fig.querySelector('.state:not([hidden])');
    const hot = fig.querySelector('.state[data-state="0"] rect.hot');
    if (!hot) continue;
    hot.dispatchEvent(new MouseEvent('click', {bubbles: true}));
    const open = shown();
    const back = open.querySelector('rect.hot');
    if (open.dataset.state !== hot.dataset.to || !back) { bad.push(fig.id + ' expand'); continue; }
    back.dispatchEvent(new MouseEvent('click', {bubbles: true}));
    if (shown().dataset.state !== '0') { bad.push(fig.id + ' collapse'); continue; }
    ok += 1;
  }
  document.body.dataset.selfcheck = bad.length ? 'fail ' + bad.join(', ') : 'ok ' + ok;
}
if (location.hash === '#selftest') selftest();
"#;

/// The interactive page of `models`.
#[must_use]
pub fn html(title: &str, models: &[Model]) -> String {
    let mut s = String::new();
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(s, "<title>{}</title>", esc(title));
    s.push_str(
        "<style>body{font-family:sans-serif;margin:2em;max-width:1400px}\
         figure{margin:0 0 2.5em 0;overflow-x:auto}nav a{margin-right:1em}\
         rect.hot{fill:transparent;stroke:none;cursor:pointer}\
         rect.hot:hover{stroke:#36c;stroke-width:2}</style>\n",
    );
    s.push_str("</head>\n<body>\n");
    let _ = writeln!(
        s,
        "<h1>{}</h1>\n<p>Click a block to expand it in place; click the title of an \
         expanded block to collapse it.</p>",
        esc(title)
    );
    s.push_str("<nav>");
    for m in models {
        let _ = write!(s, "<a href=\"#{0}\">{0}</a>", esc(&m.name));
    }
    s.push_str("</nav>\n");
    for m in models {
        let _ = writeln!(s, "<h2>{0}</h2>\n<figure id=\"{0}\">", esc(&m.name));
        for (i, svg) in m.states.iter().enumerate() {
            let hidden = if i == 0 { "" } else { " hidden" };
            let _ = writeln!(s, "<div class=\"state\" data-state=\"{i}\"{hidden}>");
            s.push_str(svg);
            s.push_str("</div>\n");
        }
        s.push_str("</figure>\n");
    }
    let _ = writeln!(s, "<script>{SCRIPT}</script>\n</body>\n</html>");
    s
}
