//! "Did you mean …?": unknown names are answered with the closest names in scope.

/// How many names in scope an "unknown name" message lists.
const SCOPE_SHOWN: usize = 12;

/// "unknown KIND `name`", with the closest names in scope ("did you mean …?") and the names
/// in scope (the first [`SCOPE_SHOWN`], sorted).
pub(crate) fn unknown<'a>(
    kind: &str,
    name: &str,
    scope: impl Iterator<Item = &'a String>,
) -> String {
    let mut names: Vec<&String> = scope.collect();
    names.sort();
    let mut msg = format!("unknown {kind} `{name}`");
    let dist = |n: &str| edit_distance(&name.to_lowercase(), &n.to_lowercase());
    let best = names.iter().map(|n| dist(n)).min();
    // one edit for names of two or more characters, one per three beyond; a one-letter
    // name only matches another case
    let len = name.chars().count();
    let close = best.filter(|d| *d <= (len / 3).max(usize::from(len >= 2)));
    if let Some(d) = close {
        let near: Vec<String> = names
            .iter()
            .filter(|n| dist(n) == d)
            .take(3)
            .map(|n| format!("`{n}`"))
            .collect();
        msg.push_str(&format!("; did you mean {}?", near.join(" or ")));
    }
    if names.is_empty() {
        msg.push_str(&format!(" (no {kind} is in scope yet)"));
    } else {
        let shown: Vec<&str> = names.iter().take(SCOPE_SHOWN).map(|s| s.as_str()).collect();
        let more = names.len().saturating_sub(SCOPE_SHOWN);
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        msg.push_str(&format!(" (in scope: {}{tail})", shown.join(", ")));
    }
    msg
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
