//! A cursor over one line's tokens, with the "expected …, found …" error messages.

use crate::parse::error::TextError;
use crate::parse::lexer::{Line, Tok, Token};

/// A name as written, with its position.
#[derive(Clone, Debug)]
pub(crate) struct Name {
    pub text: String,
    pub tag: Option<String>,
    pub line: usize,
    pub col: usize,
}

impl Name {
    /// The identity key: the display name plus its `#tag`, if any.
    pub fn key(&self) -> String {
        match &self.tag {
            Some(t) => format!("{}#{t}", self.text),
            None => self.text.clone(),
        }
    }
    /// An error located at this name.
    pub fn err(&self, msg: impl Into<String>) -> TextError {
        TextError::syntax(self.line, self.col, msg)
    }
}

pub(crate) struct Cursor<'a> {
    toks: &'a [Token],
    pos: usize,
    line: usize,
    end_col: usize,
}

pub(crate) type R<T> = Result<T, TextError>;

impl<'a> Cursor<'a> {
    pub fn new(line: &'a Line) -> Self {
        Cursor {
            toks: &line.tokens,
            pos: 0,
            line: line.number,
            end_col: line.end_col,
        }
    }
    /// Index of the current token in the line.
    pub fn pos(&self) -> usize {
        self.pos
    }
    pub fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.pos)
    }
    /// Whether the token just consumed is the punctuation `p`.
    pub fn prev_is(&self, p: &str) -> bool {
        self.pos > 0 && self.toks.get(self.pos - 1).is_some_and(|t| t.is(p))
    }
    pub fn peek_at(&self, ahead: usize) -> Option<&'a Token> {
        self.toks.get(self.pos + ahead)
    }
    pub fn peek2(&self) -> Option<&'a Token> {
        self.toks.get(self.pos + 1)
    }
    pub fn bump(&mut self) -> Option<&'a Token> {
        let t = self.toks.get(self.pos);
        self.pos += 1;
        t
    }
    pub fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }
    /// Whether the current stage ends here (end of line or `;`).
    pub fn at_stage_end(&self) -> bool {
        self.peek().is_none_or(|t| t.is(";"))
    }
    /// Line and column of the current token (or of the end of the line).
    pub fn here(&self) -> (usize, usize) {
        match self.peek() {
            Some(t) => (t.line, t.col),
            None => (self.line, self.end_col),
        }
    }
    /// What is at the cursor, for messages.
    pub fn found(&self) -> String {
        self.peek()
            .map(|t| t.show())
            .unwrap_or_else(|| "end of line".into())
    }
    /// An error at the cursor: `expected {what}, found …`.
    pub fn expected(&self, what: &str) -> TextError {
        let (l, c) = self.here();
        TextError::syntax(l, c, format!("expected {what}, found {}", self.found()))
    }
    /// An error at the cursor with a free message.
    pub fn err_here(&self, msg: impl Into<String>) -> TextError {
        let (l, c) = self.here();
        TextError::syntax(l, c, msg)
    }
    pub fn peek_is(&self, p: &str) -> bool {
        self.peek().is_some_and(|t| t.is(p))
    }
    pub fn eat(&mut self, p: &str) -> bool {
        if self.peek_is(p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    pub fn expect(&mut self, p: &str, what: &str) -> R<()> {
        if self.eat(p) {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }
    pub fn peek_word(&self) -> Option<&'a str> {
        self.peek().and_then(|t| t.word())
    }
    pub fn eat_word(&mut self, w: &str) -> bool {
        if self.peek_word() == Some(w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    /// Whether the next token is a name that is not one of `keywords`.
    pub fn at_name_except(&self, keywords: &[&str]) -> bool {
        match self.peek() {
            Some(
                t @ Token {
                    tok: Tok::Name { .. },
                    ..
                },
            ) => t.word().is_none_or(|w| !keywords.contains(&w)),
            _ => false,
        }
    }
    /// A name (any, keywords included when `quoted`).
    pub fn name(&mut self, what: &str) -> R<Name> {
        match self.peek() {
            Some(Token {
                tok: Tok::Name { text, tag, .. },
                line,
                col,
            }) => {
                self.pos += 1;
                Ok(Name {
                    text: text.clone(),
                    tag: tag.clone(),
                    line: *line,
                    col: *col,
                })
            }
            _ => Err(self.expected(what)),
        }
    }
    /// A name without a `#tag` (values, parameters, labels).
    pub fn plain_name(&mut self, what: &str) -> R<Name> {
        let n = self.name(what)?;
        if n.tag.is_some() {
            return Err(n.err(format!("`{}`: only axis names take a `#` tag", n.key())));
        }
        Ok(n)
    }
    /// An integer, optionally negative.
    pub fn int(&mut self, what: &str) -> R<i64> {
        let neg = self.peek_is("-")
            && matches!(
                self.peek2(),
                Some(Token {
                    tok: Tok::Number(_),
                    ..
                })
            );
        if neg {
            self.pos += 1;
        }
        match self.peek() {
            Some(Token {
                tok: Tok::Number(n),
                ..
            }) => {
                let v: i64 = n.parse().map_err(|_| self.expected(what))?;
                self.pos += 1;
                Ok(if neg { -v } else { v })
            }
            _ => Err(self.expected(what)),
        }
    }
    /// A real number, optionally negative; `inf` and `NaN` are accepted.
    pub fn float(&mut self, what: &str) -> R<f64> {
        let start = self.pos;
        let neg = self.eat("-");
        let v = match self.peek() {
            Some(Token {
                tok: Tok::Number(n),
                ..
            }) => n.parse::<f64>().ok(),
            Some(t) => match t.word() {
                Some("inf") => Some(f64::INFINITY),
                Some("NaN") => Some(f64::NAN),
                _ => None,
            },
            None => None,
        };
        match v {
            Some(v) => {
                self.pos += 1;
                Ok(if neg { -v } else { v })
            }
            None => {
                self.pos = start;
                Err(self.expected(what))
            }
        }
    }
    /// Ends a statement: nothing may follow.
    pub fn end(&self, after: &str) -> R<()> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.expected(&format!("end of line after {after}")))
        }
    }
}
