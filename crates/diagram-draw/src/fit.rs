//! Fitting large circuits on a page, as the paper does: when a drawing would be too wide, its
//! blocks are collapsed level by level, and each collapsed block gets a detail drawing of its
//! own (Fig. 26 draws the ResNet overall, then its block).

use std::collections::BTreeSet;

use crate::LayoutOptions;
use crate::model::{Block, Diagram, Item};
use crate::scene::Scene;

/// Widest drawing, in pixels, before blocks are collapsed.
pub const MAX_WIDTH: f64 = 1400.0;

/// The name of a block without its repetition index (`"Block [2]"` → `"Block"`).
#[must_use]
pub fn base_name(name: &str) -> &str {
    match name.rfind(" [") {
        Some(i) if name.ends_with(']') => &name[..i],
        _ => name,
    }
}

fn max_depth(items: &[Item]) -> usize {
    items
        .iter()
        .map(|i| match i {
            Item::Block(b) => 1 + max_depth(&b.body),
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}

/// Collapses every block nested `k` or more deep (0 = top level).
fn cap(items: &mut [Item], k: usize) {
    for i in items {
        if let Item::Block(b) = i {
            if k == 0 {
                b.expanded = false;
            }
            cap(&mut b.body, k.saturating_sub(1));
        }
    }
}

/// A drawing with expanded blocks wider than this (px) collapses them (see [`fitted`]).
pub const COLLAPSE_AT: f64 = 1000.0;

/// Lays out `d`; when it is wider than [`COLLAPSE_AT`] or would wrap onto rows
/// ([`crate::wrap`]), and the options leave block expansion to the diagram, collapses blocks
/// from the deepest level up until it fits in one row (or all are collapsed), as the paper
/// draws a large network overall and its blocks apart; only then does it wrap. Returns the
/// diagram as drawn and its scene.
#[must_use]
pub fn fitted(d: &Diagram, opt: &LayoutOptions) -> (Diagram, Scene) {
    let mut d = d.clone();
    let mut scene = crate::layout::layout(&d, opt);
    if opt.depth.is_some() || !opt.expand.is_empty() {
        return (d, scene);
    }
    let mut k = max_depth(&d.items);
    while (scene.natural_width > COLLAPSE_AT || scene.width < scene.natural_width) && k > 0 {
        k -= 1;
        cap(&mut d.items, k);
        scene = crate::layout::layout(&d, opt);
    }
    (d, scene)
}

fn walk<'a>(items: &'a [Item], expanded: &mut BTreeSet<&'a str>, collapsed: &mut Vec<&'a Block>) {
    for i in items {
        if let Item::Block(b) = i {
            if b.expanded {
                expanded.insert(base_name(&b.name));
                walk(&b.body, expanded, collapsed);
            } else {
                collapsed.push(b);
            }
        }
    }
}

/// Detail drawings of the blocks `d` draws only collapsed, first instance of each name, as
/// `(block name, scene)`; each is fitted in turn, and its own collapsed blocks follow it.
#[must_use]
pub fn details(d: &Diagram, opt: &LayoutOptions) -> Vec<(String, Scene)> {
    let mut out = Vec::new();
    let mut done = BTreeSet::new();
    let (drawn, _) = fitted(d, opt);
    details_into(d, &drawn, opt, &mut done, &mut out);
    out
}

fn find<'a>(items: &'a [Item], name: &str) -> Option<&'a Block> {
    items.iter().find_map(|i| match i {
        Item::Block(b) if b.name == name => Some(b),
        Item::Block(b) => find(&b.body, name),
        _ => None,
    })
}

fn details_into(
    orig: &Diagram,
    d: &Diagram,
    opt: &LayoutOptions,
    done: &mut BTreeSet<String>,
    out: &mut Vec<(String, Scene)>,
) {
    let mut expanded = BTreeSet::new();
    let mut collapsed = Vec::new();
    walk(&d.items, &mut expanded, &mut collapsed);
    for name in &expanded {
        done.insert((*name).to_owned());
    }
    for b in collapsed {
        let name = base_name(&b.name).to_owned();
        if !done.insert(name.clone()) {
            continue;
        }
        // the block as the circuit drew it, before any collapsing
        let body = find(&orig.items, &b.name).map_or_else(|| b.body.clone(), |o| o.body.clone());
        let sub = Diagram {
            title: format!("{}: {name}", d.title),
            inputs: b.inputs.clone(),
            items: body,
            ..d.clone()
        };
        let (drawn, scene) = fitted(&sub, opt);
        out.push((name, scene));
        details_into(&sub, &drawn, opt, done, out);
    }
}

/// A file-name-safe form of a block name: lower case ASCII letters and digits, `_` between.
#[must_use]
pub fn slug(name: &str) -> String {
    let mut s = String::new();
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            s.push(ch.to_ascii_lowercase());
        } else if !s.ends_with('_') && !s.is_empty() {
            s.push('_');
        } else if ch == '\'' {
            s.push('p');
        }
    }
    while s.ends_with('_') {
        s.pop();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(base_name("Block [2]"), "Block");
        assert_eq!(base_name("Down"), "Down");
        assert_eq!(slug("Block(2,N)'"), "block_2_n_p");
        assert_eq!(slug("Block(2,N)"), "block_2_n");
        assert_eq!(slug("Identity"), "identity");
    }
}
