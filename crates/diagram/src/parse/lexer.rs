//! Tokens of the circuit text format, with their line and column.
//!
//! The format is line-oriented: a statement ends at the end of its line, so the lexer
//! returns one token list per line and the parser never looks across lines.

use super::error::TextError;

/// What a token is.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// A name: bare (`L1.W`, `H'`) or quoted (`"Block(1,N)"`), with an optional `#tag` that
    /// tells apart axes sharing a display name (`kH#5`).
    Name {
        /// The name without its tag.
        text: String,
        /// Whether it was written in quotes (then it is never a keyword).
        quoted: bool,
        /// The digits after `#`, if any.
        tag: Option<String>,
    },
    /// An unsigned number as written: `3`, `0.5`, `1e-5`.
    Number(String),
    /// Punctuation or an operator, in ASCII spelling.
    Punct(&'static str),
}

/// A token and where it starts (1-based).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub line: usize,
    pub col: usize,
}

impl Token {
    /// The token as the user wrote it, for messages.
    pub fn show(&self) -> String {
        match &self.tok {
            Tok::Name { text, quoted, tag } => {
                let t = tag.as_ref().map(|t| format!("#{t}")).unwrap_or_default();
                if *quoted {
                    format!("'\"{text}\"{t}'")
                } else {
                    format!("'{text}{t}'")
                }
            }
            Tok::Number(n) => format!("'{n}'"),
            Tok::Punct(p) => format!("'{p}'"),
        }
    }
    /// The bare (unquoted, untagged) word, for keyword tests.
    pub fn word(&self) -> Option<&str> {
        match &self.tok {
            Tok::Name {
                text,
                quoted: false,
                tag: None,
            } => Some(text),
            _ => None,
        }
    }
    /// Whether this is the punctuation `p`.
    pub fn is(&self, p: &str) -> bool {
        matches!(&self.tok, Tok::Punct(q) if *q == p)
    }
}

/// One source line's tokens (empty for blank and comment lines).
pub(crate) struct Line {
    pub number: usize,
    pub tokens: Vec<Token>,
    /// Column just past the last character, for "found end of line" messages.
    pub end_col: usize,
    /// The source text (a λ-indexed repeat rewrites it per iteration and lexes it again).
    pub text: String,
}

/// Whether `c` may continue a bare name.
pub(crate) fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '\'' | '~')
}

/// Whether `c` may start a bare name.
pub(crate) fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

const PUNCT: &[(&str, &str)] = &[
    ("->", "->"),
    ("→", "->"),
    ("==", "=="),
    (">=", ">="),
    ("//", "//"),
    ("=", "="),
    ("[", "["),
    ("]", "]"),
    ("(", "("),
    (")", ")"),
    ("{", "{"),
    ("}", "}"),
    (",", ","),
    (";", ";"),
    (":", ":"),
    ("+", "+"),
    ("-", "-"),
    ("−", "-"),
    ("*", "*"),
    ("×", "*"),
    ("·", "*"),
    ("/", "/"),
    ("÷", "/"),
    ("|", "|"),
    ("^", "^"),
];

/// Splits a source text into lines of tokens.
pub(crate) fn lex(text: &str) -> Result<Vec<Line>, TextError> {
    text.lines()
        .enumerate()
        .map(|(i, l)| lex_line(l, i + 1))
        .collect()
}

pub(crate) fn lex_line(line: &str, number: usize) -> Result<Line, TextError> {
    let cs: Vec<char> = line.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let err = |col: usize, msg: String| TextError::syntax(number, col, msg);
    while i < cs.len() {
        let c = cs[i];
        let col = i + 1;
        if c.is_control() && c != '\t' {
            // shown escaped: a raw NUL or ESC in a message would garble the terminal
            return Err(err(
                col,
                format!(
                    "unexpected control character U+{:04X} ('{}')",
                    c as u32,
                    crate::names::escape_control(&c.to_string())
                ),
            ));
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '#' {
            break; // a comment runs to the end of the line
        } else if c.is_ascii_digit() {
            let s = i;
            while i < cs.len() && (cs[i].is_ascii_digit() || cs[i] == '.') {
                i += 1;
            }
            // exponent: `1e-5`, `2E3`
            if i < cs.len() && (cs[i] == 'e' || cs[i] == 'E') {
                let mut j = i + 1;
                if j < cs.len() && (cs[j] == '-' || cs[j] == '+') {
                    j += 1;
                }
                if j < cs.len() && cs[j].is_ascii_digit() {
                    i = j;
                    while i < cs.len() && cs[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            if i < cs.len() && is_name_char(cs[i]) {
                return Err(err(
                    i + 1,
                    format!(
                        "a name cannot start with a digit: found '{}'",
                        cs[s..=i].iter().collect::<String>()
                    ),
                ));
            }
            let n: String = cs[s..i].iter().collect();
            tokens.push(Token {
                tok: Tok::Number(n),
                line: number,
                col,
            });
        } else if is_name_start(c) || c == '"' {
            let (text, quoted) = if c == '"' {
                let mut s = String::new();
                i += 1;
                loop {
                    match cs.get(i) {
                        None => return Err(err(col, "unterminated quoted name".into())),
                        Some(ch) if ch.is_control() && *ch != '\t' => {
                            return Err(err(
                                i + 1,
                                format!(
                                    "unexpected control character U+{:04X} in a quoted name",
                                    *ch as u32
                                ),
                            ));
                        }
                        Some('"') => break,
                        Some('\\') if matches!(cs.get(i + 1), Some('"' | '\\' | 'n')) => {
                            s.push(if cs[i + 1] == 'n' { '\n' } else { cs[i + 1] });
                            i += 2;
                        }
                        Some(ch) => {
                            s.push(*ch);
                            i += 1;
                        }
                    }
                }
                i += 1;
                (s, true)
            } else {
                let s = i;
                while i < cs.len() && is_name_char(cs[i]) {
                    i += 1;
                }
                (cs[s..i].iter().collect(), false)
            };
            // `#` glued to a name and followed by digits is a tag, otherwise a comment
            let mut tag = None;
            if cs.get(i) == Some(&'#') && cs.get(i + 1).is_some_and(|d| d.is_ascii_digit()) {
                let s = i + 1;
                i = s;
                while i < cs.len() && cs[i].is_ascii_digit() {
                    i += 1;
                }
                tag = Some(cs[s..i].iter().collect());
            }
            tokens.push(Token {
                tok: Tok::Name { text, quoted, tag },
                line: number,
                col,
            });
        } else {
            let rest: String = cs[i..cs.len().min(i + 2)].iter().collect();
            let Some((spelling, p)) = PUNCT.iter().find(|(s, _)| rest.starts_with(s)) else {
                return Err(err(col, format!("unexpected character '{c}'")));
            };
            i += spelling.chars().count();
            tokens.push(Token {
                tok: Tok::Punct(p),
                line: number,
                col,
            });
        }
    }
    Ok(Line {
        number,
        tokens,
        end_col: cs.len() + 1,
        text: line.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tags_numbers_comments() {
        let l = lex("x = f kH#5 \"a b\"#2 1e-5 -> # note").unwrap();
        let t: Vec<String> = l[0].tokens.iter().map(|t| t.show()).collect();
        assert_eq!(
            t,
            [
                "'x'",
                "'='",
                "'f'",
                "'kH#5'",
                "'\"a b\"#2'",
                "'1e-5'",
                "'->'"
            ]
        );
    }

    /// Issue 17: NUL and ESC bytes were echoed raw in `.ncd` errors.
    #[test]
    fn control_characters_are_refused_and_shown_escaped() {
        let e = lex("x = relu \u{1b}[2J y").err().unwrap();
        assert_eq!(
            e.to_string(),
            "1:10: unexpected control character U+001B ('\\e')"
        );
        let e = lex("input \"a\u{0}b\" [i]").err().unwrap();
        assert_eq!(
            e.to_string(),
            "1:9: unexpected control character U+0000 in a quoted name"
        );
        assert!(!e.to_string().chars().any(char::is_control));
    }

    #[test]
    fn bad_characters_are_located() {
        let e = lex("a\n  b $").err().unwrap();
        assert_eq!(e.to_string(), "2:5: unexpected character '$'");
    }
}
